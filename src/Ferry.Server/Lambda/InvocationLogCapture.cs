using Ferry.Runtime;
using Ferry.Runtime.Telemetry;
using Ferry.Triggers.Lambda;

namespace Ferry.Server.Lambda;

/// <summary>
/// Collects one invocation's log lines for <c>X-Amz-Log-Type: Tail</c>. It listens to the log pipeline, which hands
/// out lines only once they are stored, from before the invocation starts until its REPORT line has been stored.
/// </summary>
internal sealed class InvocationLogCapture : IDisposable
{
    private static readonly TimeSpan ReportPatience = TimeSpan.FromSeconds(5);

    private readonly LogSubscription _subscription;
    private readonly string _requestId;
    private readonly string _reportPrefix;

    public InvocationLogCapture(LogPipeline logs, FunctionRevision function, string requestId)
    {
        _subscription = logs.Subscribe(function.AppStageId, function.Name);
        _requestId = requestId;
        _reportPrefix = $"REPORT RequestId: {requestId}";
    }

    /// <summary>
    /// Base64 of the last 4 KB of the invocation's lines. Waits for the REPORT line (written just after the answer)
    /// when <paramref name="waitForReport"/>, and then at most a few seconds; otherwise takes what is stored already.
    /// </summary>
    public async Task<string> TailAsync(bool waitForReport, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        if (!waitForReport)
        {
            while (_subscription.Entries.TryRead(out var entry))
            {
                if (entry.RequestId == _requestId)
                {
                    lines.Add(entry.Message);
                }
            }

            return LogTail.Encode(lines);
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(ReportPatience);
        try
        {
            await foreach (var entry in _subscription.Entries.ReadAllAsync(patience.Token))
            {
                if (entry.RequestId != _requestId)
                {
                    continue;
                }

                lines.Add(entry.Message);
                if (entry.Message.StartsWith(_reportPrefix, StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        return LogTail.Encode(lines);
    }

    public void Dispose() => _subscription.Dispose();
}
