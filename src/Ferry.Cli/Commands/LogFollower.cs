using Ferry.Cli.Api;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// Follows an app's live log stream until cancelled. A dropped connection (server restart, network) is retried with
/// exponential backoff, resuming after the last line seen so nothing is shown twice or skipped.
/// </summary>
internal sealed class LogFollower(
    FerryApiClient client,
    AppTarget app,
    string? function,
    TextWriter status,
    Func<TimeSpan, CancellationToken, Task> delay)
{
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>Id of the newest line seen so far; the next connection asks for lines after it.</summary>
    public long? LastId { get; private set; }

    /// <summary>Streams lines newer than <paramref name="after"/> to <paramref name="onLine"/> until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="FerryApiException">The server refused the stream with a 4xx answer (e.g. the app was removed).</exception>
    public async Task FollowAsync(long? after, Action<LogLine> onLine, CancellationToken cancellationToken)
    {
        LastId = after;
        var retryDelay = FirstRetryDelay;
        var reconnecting = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                await using var stream = await client.OpenLogStreamAsync(app, function, LastId, cancellationToken);
                if (reconnecting)
                {
                    status.WriteLine("Reconnected to the log stream.");
                    reconnecting = false;
                }

                await foreach (var line in stream.ReadAsync(cancellationToken))
                {
                    retryDelay = FirstRetryDelay;
                    if (line.Id <= LastId)
                    {
                        continue;
                    }

                    LastId = line.Id;
                    onLine(line);
                }

                reason = "the server closed the stream";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (FerryApiException e) when (!e.IsClientError)
            {
                reason = $"server error {(int)e.StatusCode}: {e.Error.Message}";
            }
            catch (FerryUnreachableException e)
            {
                reason = e.Reason;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                reason = e.Message;
            }

            status.WriteLine($"Log stream dropped ({reason}); reconnecting in {retryDelay.TotalSeconds:0} s…");
            reconnecting = true;
            try
            {
                await delay(retryDelay, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }
}
