using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Manifest;
using Ferry.Resources.Queues;
using Ferry.Runtime;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Pooling;
using Ferry.Server.Deployments;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Resources;

/// <summary>
/// Lambda's SQS event source mapping: for every enabled <c>sqs</c> event of a served function, a loop receives
/// batches from the queue (up to <c>batchSize</c>, waiting up to <c>maximumBatchingWindow</c> for a fuller one) and
/// invokes the function with them as an SQS event (<c>Records</c>). A batch the function handled is deleted; when it
/// fails, its messages reappear after the queue's visibility timeout (and move to the dead-letter queue after
/// <c>maxReceiveCount</c> receives). With <c>ReportBatchItemFailures</c> only the messages the function names in
/// <c>batchItemFailures</c> stay. Invocations run through the function's pool, so they are metered like any other.
/// </summary>
public sealed partial class QueueEventPoller(LiveApps live, QueueStore store, ILogger<QueueEventPoller> logger) : BackgroundService
{
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    /// <summary>The running loops, by what they serve (app stage, revision, function, event index).</summary>
    private readonly ConcurrentDictionary<string, (Task Loop, CancellationTokenSource Stop)> _loops = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Reconcile(stoppingToken);
                await Task.Delay(RescanInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var (_, (loop, stop)) in _loops)
            {
                await stop.CancelAsync();
                await loop.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                stop.Dispose();
            }
        }
    }

    /// <summary>Starts loops for event sources that are new, stops those whose revision is no longer served.</summary>
    private void Reconcile(CancellationToken stoppingToken)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in live.All)
        {
            foreach (var function in app.Manifest.Functions.Where(f => f.Kind == FunctionKind.Event))
            {
                for (var i = 0; i < function.QueueEvents.Count; i++)
                {
                    var source = function.QueueEvents[i];
                    if (!source.Enabled)
                    {
                        continue;
                    }

                    var key = $"{app.AppStage.Id}/{app.Revision.Id}/{function.Name}/{i}";
                    wanted.Add(key);
                    if (!_loops.ContainsKey(key))
                    {
                        var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                        _loops[key] = (Task.Run(() => PollAsync(app, function.Name, source, stop.Token), CancellationToken.None), stop);
                    }
                }
            }
        }

        foreach (var (key, (loop, stop)) in _loops)
        {
            if (!wanted.Contains(key) && _loops.TryRemove(key, out _))
            {
                stop.Cancel();
                _ = loop.ContinueWith(_ => stop.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    private async Task PollAsync(LiveApp app, string function, QueueEvent source, CancellationToken cancellationToken)
    {
        var stage = app.AppStage;
        var identity = AppResources.Identity(stage.Tenant, stage.Service, stage.Stage, stage.Region);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var queue = await store.FindAsync(new QueueAddress(stage.Tenant, source.Queue), cancellationToken);
                if (queue is null || queue.AppStage != identity)
                {
                    // Not provisioned (yet), or deleted through the API: look again later.
                    await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
                    continue;
                }

                var batch = await ReceiveBatchAsync(queue, source, cancellationToken);
                if (batch.Count == 0)
                {
                    await store.WaitForArrivalAsync(IdleWait, cancellationToken);
                    continue;
                }

                await DeliverAsync(app, function, queue, source, batch, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPollFailed(e, stage.Service, stage.Stage, function, source.Queue);
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Up to batchSize messages; with a batching window, waits that long for more once the first arrived.</summary>
    private async Task<List<ReceivedMessage>> ReceiveBatchAsync(QueueInfo queue, QueueEvent source, CancellationToken cancellationToken)
    {
        var visibility = TimeSpan.FromSeconds(queue.Settings.VisibilityTimeoutSeconds);
        var batch = new List<ReceivedMessage>(await store.ReceiveAsync(queue, source.BatchSize, visibility, cancellationToken));
        if (batch.Count == 0 || source.MaximumBatchingWindow == 0)
        {
            return batch;
        }

        var deadline = store.Time.GetUtcNow() + TimeSpan.FromSeconds(source.MaximumBatchingWindow);
        while (batch.Count < source.BatchSize && store.Time.GetUtcNow() is var now && now < deadline)
        {
            await store.WaitForArrivalAsync(deadline - now, cancellationToken);
            batch.AddRange(await store.ReceiveAsync(queue, source.BatchSize - batch.Count, visibility, cancellationToken));
        }

        return batch;
    }

    private async Task DeliverAsync(LiveApp app, string function, QueueInfo queue, QueueEvent source, List<ReceivedMessage> batch, CancellationToken cancellationToken)
    {
        if (!app.Deployed.Pools.TryGetValue(function, out var pool))
        {
            return;
        }

        var stage = app.AppStage;
        var payload = JsonSerializer.SerializeToUtf8Bytes(SqsEventJson.Of(batch, queue, stage.Region));
        var requestId = RequestId.New();
        PoolResult<InvocationResult> invoked;
        try
        {
            invoked = await pool.InvokeAsync(requestId, payload, cancellationToken);
        }
        catch (ObjectDisposedException e)
        {
            // The revision was replaced while the batch was being handed over.
            LogNotDelivered(stage.Service, stage.Stage, function, queue.Address.Name, batch.Count, e.Message);
            return;
        }

        if (!invoked.Succeeded)
        {
            // Busy, at the tenant's quota, retired or failing to start: the messages reappear after the visibility timeout.
            LogNotDelivered(stage.Service, stage.Stage, function, queue.Address.Name, batch.Count, invoked.Error.Message);
            return;
        }

        var result = invoked.Value!;
        if (!result.Succeeded)
        {
            LogBatchFailed(stage.Service, stage.Stage, function, queue.Address.Name, batch.Count, requestId);
            return;
        }

        var failed = source.ReportBatchItemFailures ? SqsEventJson.FailedItems(result.Payload) : [];
        foreach (var message in batch.Where(m => !failed.Contains(m.MessageId)))
        {
            await store.DeleteMessageAsync(queue, message.ReceiptHandle, CancellationToken.None);
        }

        LogDelivered(stage.Service, stage.Stage, function, queue.Address.Name, batch.Count - failed.Count, failed.Count, requestId);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "sqs: {Service}/{Stage} {Function} handled {Handled} messages of {Queue} ({Failed} reported failed), request {RequestId}")]
    private partial void LogDelivered(string service, string stage, string function, string queue, int handled, int failed, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "sqs: {Service}/{Stage} {Function} failed a batch of {Count} messages of {Queue} (request {RequestId}); they reappear after the visibility timeout")]
    private partial void LogBatchFailed(string service, string stage, string function, string queue, int count, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "sqs: {Service}/{Stage} {Function} could not take {Count} messages of {Queue}: {Reason}")]
    private partial void LogNotDelivered(string service, string stage, string function, string queue, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sqs: polling {Queue} for {Service}/{Stage} {Function} failed")]
    private partial void LogPollFailed(Exception exception, string service, string stage, string function, string queue);
}

/// <summary>Lambda's SQS event document, and the <c>batchItemFailures</c> answer of a function that reports them.</summary>
public static class SqsEventJson
{
    public static JsonObject Of(IEnumerable<ReceivedMessage> messages, QueueInfo queue, string region)
    {
        var records = new JsonArray();
        foreach (var message in messages)
        {
            var attributes = new JsonObject
            {
                ["ApproximateReceiveCount"] = message.ReceiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SentTimestamp"] = message.SentAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SenderId"] = queue.Address.Tenant,
                ["ApproximateFirstReceiveTimestamp"] = message.FirstReceivedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (message.GroupId is not null)
            {
                attributes["MessageGroupId"] = message.GroupId;
                attributes["MessageDeduplicationId"] = message.DeduplicationId;
                attributes["SequenceNumber"] = message.SequenceNumber;
            }

            var messageAttributes = new JsonObject();
            foreach (var (name, value) in message.Attributes)
            {
                messageAttributes[name] = new JsonObject
                {
                    ["stringValue"] = value.IsBinary ? null : value.StringValue,
                    ["binaryValue"] = value.IsBinary ? Convert.ToBase64String(value.BinaryValue ?? []) : null,
                    ["stringListValues"] = new JsonArray(),
                    ["binaryListValues"] = new JsonArray(),
                    ["dataType"] = value.DataType,
                };
            }

            var record = new JsonObject
            {
                ["messageId"] = message.MessageId,
                ["receiptHandle"] = message.ReceiptHandle,
                ["body"] = message.Body,
                ["attributes"] = attributes,
                ["messageAttributes"] = messageAttributes,
                ["md5OfBody"] = message.Md5OfBody,
            };
            if (message.Md5OfAttributes is { } digest)
            {
                record["md5OfMessageAttributes"] = digest;
            }

            record["eventSource"] = "aws:sqs";
            record["eventSourceARN"] = QueueUrls.Arn(region, queue.Address.Name);
            record["awsRegion"] = region;
            records.Add(record);
        }

        return new JsonObject { ["Records"] = records };
    }

    /// <summary>The message ids in <c>{"batchItemFailures":[{"itemIdentifier":"…"}]}</c>; an answer of another shape reports none.</summary>
    public static HashSet<string> FailedItems(ReadOnlyMemory<byte> response)
    {
        var failed = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (JsonNode.Parse(response.Span) is JsonObject { } root && root["batchItemFailures"] is JsonArray items)
            {
                foreach (var item in items)
                {
                    if (item is JsonObject entry && entry["itemIdentifier"] is JsonValue id && id.GetValueKind() == JsonValueKind.String)
                    {
                        failed.Add(id.GetValue<string>());
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return failed;
    }
}
