using Microsoft.AspNetCore.Http;

namespace Ferry.Server;

/// <summary>
/// Keeps the server's control plane (the API, the console, the Lambda Invoke API) off the socket threads when the
/// server handles I/O inline (<see cref="FerryServerOptions.InlineIo"/>).
/// <para>
/// Inline I/O runs a request's code on the thread that saw its socket become readable, instead of handing it to the
/// thread pool at every step. The request path of a function gains from it (fewer thread switches per request). The
/// control plane must not run there: a deploy unpacks archives and writes SQLite synchronously after reading its
/// upload, and would stall every connection served by that socket thread meanwhile.
/// </para>
/// <para>
/// A control-plane request therefore runs as a task on this scheduler. <c>await</c> captures a task's scheduler when
/// it is not the default one, so every continuation of the request's own code after that (after a body read that
/// completed on a socket thread, say) is queued to the thread pool too. Work the request starts with
/// <c>Task.Run</c> runs on the default scheduler, as everywhere.
/// </para>
/// </summary>
internal sealed class ThreadPoolContinuations : TaskScheduler
{
    public static readonly ThreadPoolContinuations Scheduler = new();

    private ThreadPoolContinuations()
    {
    }

    /// <summary>Runs <paramref name="next"/> for <paramref name="context"/> on this scheduler, as a task of the thread pool.</summary>
    public static Task Run(RequestDelegate next, HttpContext context)
        => Task.Factory.StartNew(() => next(context), CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler).Unwrap();

    protected override void QueueTask(Task task)
        => ThreadPool.UnsafeQueueUserWorkItem(static state => Scheduler.TryExecuteTask((Task)state!), task, preferLocal: false);

    /// <summary>Inline only on a thread of the pool: a continuation completed on a socket thread is queued instead.</summary>
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued)
        => Thread.CurrentThread.IsThreadPoolThread && TryExecuteTask(task);

    /// <summary>Not tracked: the thread pool holds the queued tasks (this is for debuggers only).</summary>
    protected override IEnumerable<Task> GetScheduledTasks() => [];
}
