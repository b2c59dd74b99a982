using System.Text;
using Ferry.Resources.Buckets;
using Ferry.Runtime;
using Ferry.Server.Deployments;
using Ferry.Triggers.Async;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Resources;

/// <summary>
/// Turns objects created in (or removed from) buckets into asynchronous invocations of the functions whose <c>s3</c>
/// events match, like S3 event notifications to Lambda: each event is queued durably (retries, dead letters), so a
/// slow or failing function never slows the upload down.
/// </summary>
public sealed partial class BucketEventDispatcher(LiveApps live, AsyncInvocations invocations, ILogger<BucketEventDispatcher> logger) : IBucketEventSink
{
    public async ValueTask PublishAsync(BucketNotification notification, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte>? payload = null;
        foreach (var app in live.All.Where(a => a.AppStage.Tenant == notification.Tenant))
        {
            foreach (var function in app.Manifest.Functions)
            {
                if (!function.BucketEvents.Any(e => new BucketEventRule(e.Bucket, e.Event, e.Prefix, e.Suffix).Matches(notification)))
                {
                    continue;
                }

                payload ??= Encoding.UTF8.GetBytes(notification.ToEventJson());
                var appStage = app.AppStage;
                var target = new FunctionAddress(appStage.Tenant, appStage.Id, appStage.Service, appStage.Stage, appStage.Region, function.Name);
                var queued = await invocations.SubmitAsync(target, payload.Value, RequestId.New(), cancellationToken);
                LogQueued(notification.EventName, notification.Bucket, notification.Key, target.ToString(), queued.RequestId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{EventName} of {Bucket}/{Key} queued for {Function} as {RequestId}")]
    private partial void LogQueued(string eventName, string bucket, string key, string function, string requestId);
}
