namespace Ferry.Runtime.Telemetry;

/// <summary>
/// How the telemetry writers (<see cref="LogPipeline"/>, <see cref="InvocationRecorder"/>) store a batch: up to
/// <see cref="Attempts"/> tries, <see cref="RetryDelay"/> times the attempt apart (about two seconds in all), so a
/// store that is unavailable for a moment (a busy or locked SQLite file, a PostgreSQL restart) loses nothing. A batch
/// still refused after that is given up: the writer must go on with the next one.
/// </summary>
internal static class TelemetryStoreAttempts
{
    public const int Attempts = 5;

    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Runs <paramref name="store"/> until it succeeds or <see cref="Attempts"/> tries failed; false then.</summary>
    /// <param name="retrying">Told of each failure that is tried again, with the attempt that failed.</param>
    /// <param name="givingUp">Told of the last failure.</param>
    public static async Task<bool> StoreAsync(Func<Task> store, Action<Exception, int> retrying, Action<Exception> givingUp)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store();
                return true;
            }
            catch (Exception ex) when (attempt < Attempts)
            {
                retrying(ex, attempt);
                await Task.Delay(RetryDelay * attempt);
            }
            catch (Exception ex)
            {
                givingUp(ex);
                return false;
            }
        }
    }
}
