using System.Collections.Concurrent;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// One long-lived thread that forks every sandbox. bwrap's --die-with-parent uses PR_SET_PDEATHSIG, which fires
/// when the *thread* that forked the process exits, not the process: started from a thread-pool thread, a sandbox
/// would be SIGKILLed whenever the pool retires that thread.
/// </summary>
internal static class LauncherThread
{
    private static readonly BlockingCollection<Action> Work = [];
    private static readonly Lazy<Thread> Thread = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "Ferry sandbox launcher" };
        thread.Start();
        return thread;
    });

    /// <summary>Runs <paramref name="action"/> on the launcher thread.</summary>
    public static Task RunAsync(Action action)
    {
        _ = Thread.Value;
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add(() =>
        {
            try
            {
                action();
                completion.SetResult();
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        });
        return completion.Task;
    }

    private static void Run()
    {
        foreach (var action in Work.GetConsumingEnumerable())
        {
            action();
        }
    }
}
