using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Starts build processes from one dedicated thread that lives as long as the CLI. bwrap's <c>--die-with-parent</c>
/// is PR_SET_PDEATHSIG, which fires when the <em>thread</em> that forked bwrap exits: started from a thread-pool
/// thread, a build would be SIGKILLed (exit code 137, no output) whenever the pool retired that thread.
/// </summary>
public static class BuildLauncher
{
    private static readonly BlockingCollection<Action> Work = [];
    private static readonly Lazy<Thread> Thread = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "Ferry build launcher" };
        thread.Start();
        return thread;
    });

    /// <summary>Starts <paramref name="info"/> on the launcher thread.</summary>
    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        _ = Thread.Value;
        var completion = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add(() =>
        {
            try
            {
                completion.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"no process was started for {info.FileName}"));
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
