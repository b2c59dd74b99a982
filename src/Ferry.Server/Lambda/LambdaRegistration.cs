using Ferry.Server.Lambda;
using Ferry.Store;
using Ferry.Triggers;
using Ferry.Triggers.Async;
using Ferry.Triggers.Schedules;
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

    /// <param name="app">Where the Lambda API is mapped: at the root, like AWS's endpoint.</param>
    /// <param name="api">The REST API group that gets the dead-letters endpoint.</param>
    public static void MapFerryLambda(this IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        app.MapLambdaInvoke();
        api.MapDeadLetterEndpoints();
    }
}
