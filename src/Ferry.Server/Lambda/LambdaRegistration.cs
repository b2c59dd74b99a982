using Ferry.Runtime;
using Ferry.Server.Lambda;
using Ferry.Store;
using Ferry.Triggers;
using Ferry.Triggers.Async;
using Ferry.Triggers.Schedules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Server;

/// <summary>The Lambda Invoke API, asynchronous invocations with their durable queue, and scheduled functions.</summary>
internal static class LambdaRegistration
{
    /// <summary>The queue lives in the store's database (SQLite <c>ferry.db</c> or PostgreSQL), next to the store's tables.</summary>
    public static IServiceCollection AddFerryLambda(this IServiceCollection services, StoreLocation store)
    {
        services.AddSingleton<LambdaFunctionResolver>();
        services.AddSingleton<LambdaEndpointRelay>();
        services.AddSingleton<IAsyncEventTarget, LiveAppsEventTarget>();
        services.AddSingleton<IScheduleSource, LiveAppsScheduleSource>();
        return services.AddFerryTriggers(sp => store.Postgres is { } postgres
            ? new PostgresAsyncEventQueue(postgres.ConnectionString, sp.GetRequiredService<TimeProvider>())
            : new AsyncEventQueue(store.SqlitePath!, sp.GetRequiredService<TimeProvider>()));
    }

    /// <summary>
    /// Requests that functions send through the <see cref="LambdaEndpointRelay"/> reach the Lambda Invoke API and
    /// nothing else of the server (no REST API, console or gateway routes). Goes before authentication.
    /// </summary>
    public static void UseLambdaRelayScope(this IApplicationBuilder app)
    {
        var relay = app.ApplicationServices.GetRequiredService<LambdaEndpointRelay>();
        app.Use(async (context, next) =>
        {
            var connection = context.Connection;
            if (relay.IsRelayed(connection.RemoteIpAddress, connection.RemotePort) && !LambdaEndpoints.IsInvokePath(context.Request))
            {
                context.Response.Headers["x-amzn-RequestId"] = RequestId.New();
                await LambdaError.NotFound($"Functions reach only the Lambda Invoke API here (POST {LambdaEndpoints.InvokeRoute}), not {context.Request.Method} {context.Request.Path}")
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
    }

    /// <param name="app">Where the Lambda API is mapped: at the root, like AWS's endpoint.</param>
    /// <param name="api">The REST API group that gets the dead-letters endpoint.</param>
    public static void MapFerryLambda(this IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        app.MapLambdaInvoke();
        api.MapDeadLetterEndpoints();
    }
}
