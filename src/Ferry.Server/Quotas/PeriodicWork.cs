namespace Ferry.Server.Quotas;

/// <summary>Runs a piece of background work at start and then every interval until the server stops.</summary>
internal static class PeriodicWork
{
    /// <summary>
    /// Calls <paramref name="work"/> at once and after every tick of <paramref name="interval"/>; a failure goes to
    /// <paramref name="failed"/> and the next tick tries again. Returns when <paramref name="stoppingToken"/> fires.
    /// </summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> work, Action<Exception> failed,
        CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await work(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed(ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
