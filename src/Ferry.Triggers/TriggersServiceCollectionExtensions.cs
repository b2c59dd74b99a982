using Ferry.Triggers.Async;
using Ferry.Triggers.Schedules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ferry.Triggers;

public static class TriggersServiceCollectionExtensions
{
    /// <summary>
    /// The asynchronous-invocation queue (in the SQLite file <paramref name="databasePath"/>), its worker and the
    /// scheduler, as hosted services. The host must also register an <see cref="IAsyncEventTarget"/> and an
    /// <see cref="IScheduleSource"/>.
    /// </summary>
    public static IServiceCollection AddFerryTriggers(this IServiceCollection services, string databasePath,
        AsyncInvocationOptions? asyncOptions = null, SchedulerOptions? schedulerOptions = null)
        => services.AddFerryTriggers(sp => new AsyncEventQueue(databasePath, sp.GetRequiredService<TimeProvider>()), asyncOptions, schedulerOptions);

    /// <summary>Like the SQLite overload, with the queue made by <paramref name="queue"/> (e.g. a <see cref="PostgresAsyncEventQueue"/>).</summary>
    public static IServiceCollection AddFerryTriggers(this IServiceCollection services, Func<IServiceProvider, IAsyncEventQueue> queue,
        AsyncInvocationOptions? asyncOptions = null, SchedulerOptions? schedulerOptions = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(asyncOptions ?? new AsyncInvocationOptions());
        services.AddSingleton(schedulerOptions ?? new SchedulerOptions());
        services.AddSingleton(queue);
        services.AddSingleton<AsyncEventWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<AsyncEventWorker>());
        services.AddSingleton<AsyncInvocations>();
        services.AddSingleton<FunctionScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<FunctionScheduler>());
        return services;
    }
}
