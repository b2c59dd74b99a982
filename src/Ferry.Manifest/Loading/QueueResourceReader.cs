using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads an <c>AWS::SQS::Queue</c>'s <c>Properties</c>: <c>QueueName</c>, <c>FifoQueue</c>,
/// <c>ContentBasedDeduplication</c>, <c>VisibilityTimeout</c>, <c>MessageRetentionPeriod</c>, <c>DelaySeconds</c>,
/// <c>MaximumMessageSize</c>, <c>ReceiveMessageWaitTimeSeconds</c> and <c>RedrivePolicy</c>
/// (<c>deadLetterTargetArn</c> as an ARN or <c>Fn::GetAtt: [Queue, Arn]</c>, <c>maxReceiveCount</c>). Other properties
/// are reported as ignored.
/// </summary>
internal sealed class QueueResourceReader(ValueReader reader)
{
    private static readonly string[] Ignored = ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "Tags", "DeduplicationScope", "FifoThroughputLimit", "RedriveAllowPolicy"];

    public void Read(MappingEntry resource, ValueNode? properties, string path, string? service, string stage, string region,
        List<(QueueDeclaration Queue, SourceLocation Location)> queues)
    {
        string? name = null;
        SourceLocation? nameLocation = null;
        var queue = new QueueDeclaration(resource.Key, "");
        var errorsBefore = reader.Diagnostics.ErrorCount;
        foreach (var property in properties is null or ScalarValue { IsNull: true } ? [] : reader.Entries(properties, $"{path}.Properties"))
        {
            var propertyPath = $"{path}.Properties.{property.Key}";
            switch (property.Key)
            {
                case "QueueName":
                    var nameValue = property.Value is MappingValue { Entries: [{ Key: "Fn::Sub", Value: ScalarValue substituted }] } ? substituted : property.Value;
                    name = reader.String(nameValue, propertyPath)?
                        .Replace("${AWS::StackName}", $"{service}-{stage}", StringComparison.Ordinal)
                        .Replace("${AWS::Region}", region, StringComparison.Ordinal);
                    nameLocation = property.Value.Location;
                    break;
                case "FifoQueue":
                    queue = queue with { Fifo = Boolean(property.Value, propertyPath) };
                    break;
                case "ContentBasedDeduplication":
                    queue = queue with { ContentBasedDeduplication = Boolean(property.Value, propertyPath) };
                    break;
                case "VisibilityTimeout":
                    queue = queue with { VisibilityTimeout = reader.Integer(property.Value, propertyPath, "0 to 43200 seconds", n => n is >= 0 and <= 43_200) };
                    break;
                case "MessageRetentionPeriod":
                    queue = queue with { MessageRetentionPeriod = reader.Integer(property.Value, propertyPath, "60 to 1209600 seconds", n => n is >= 60 and <= 1_209_600) };
                    break;
                case "DelaySeconds":
                    queue = queue with { DelaySeconds = reader.Integer(property.Value, propertyPath, "0 to 900 seconds", n => n is >= 0 and <= 900) };
                    break;
                case "MaximumMessageSize":
                    queue = queue with { MaximumMessageSize = reader.Integer(property.Value, propertyPath, "1024 to 262144 bytes", n => n is >= 1024 and <= 262_144) };
                    break;
                case "ReceiveMessageWaitTimeSeconds":
                    queue = queue with { ReceiveMessageWaitTimeSeconds = reader.Integer(property.Value, propertyPath, "0 to 20 seconds", n => n is >= 0 and <= 20) };
                    break;
                case "RedrivePolicy":
                    queue = ReadRedrive(property.Value, propertyPath, queue);
                    break;
                default:
                    reader.Warning(property.KeyLocation, Ignored.Contains(property.Key)
                        ? $"{propertyPath} has no effect on Ferry; ignored"
                        : $"{propertyPath} is not a queue property Ferry knows; ignored (it reads QueueName, FifoQueue, ContentBasedDeduplication, VisibilityTimeout, MessageRetentionPeriod, DelaySeconds, MaximumMessageSize, ReceiveMessageWaitTimeSeconds and RedrivePolicy)");
                    break;
            }
        }

        if (name is null)
        {
            if (service is null)
            {
                return;
            }

            name = $"{service}-{stage}-{resource.Key}" + (queue.Fifo ? ".fifo" : "");
        }

        if (name.EndsWith(".fifo", StringComparison.Ordinal) != queue.Fifo)
        {
            reader.Error(nameLocation ?? resource.KeyLocation, queue.Fifo
                ? $"{path}: the name of a FIFO queue must end with '.fifo', got {NamingRules.Quote(name)}"
                : $"{path}: queue name {NamingRules.Quote(name)} ends with '.fifo' but FifoQueue is not true");
            return;
        }

        var stem = queue.Fifo ? name[..^5] : name;
        if (name.Length > 80 || stem.Length == 0 || !stem.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            reader.Error(nameLocation ?? resource.KeyLocation, $"{path}: queue name {NamingRules.Quote(name)} is invalid; queue names are 1 to 80 letters, digits, '-' or '_' (FIFO queues end with '.fifo')");
            return;
        }

        if (queue.ContentBasedDeduplication && !queue.Fifo)
        {
            reader.Error(resource.KeyLocation, $"{path}.Properties.ContentBasedDeduplication is only for FIFO queues (FifoQueue: true)");
            return;
        }

        if (reader.Diagnostics.ErrorCount > errorsBefore)
        {
            return;
        }

        if (queues.FirstOrDefault(q => q.Queue.Name == name) is { Queue: { } twin })
        {
            reader.Error(resource.KeyLocation, $"queue name {NamingRules.Quote(name)} is declared twice ({twin.LogicalName}, {resource.Key})");
            return;
        }

        queues.Add((queue with { Name = name }, resource.KeyLocation));
    }

    /// <summary>Turns dead-letter references (a logical id or an ARN) into queue names, once every queue is known.</summary>
    public static List<QueueDeclaration> ResolveDeadLetters(ValueReader reader, List<(QueueDeclaration Queue, SourceLocation Location)> queues)
    {
        var resolved = new List<QueueDeclaration>();
        foreach (var (queue, location) in queues)
        {
            if (queue.DeadLetterQueue is not { } reference)
            {
                resolved.Add(queue);
                continue;
            }

            var target = queues.FirstOrDefault(q => q.Queue.LogicalName == reference).Queue
                ?? queues.FirstOrDefault(q => reference.StartsWith("arn:", StringComparison.Ordinal) && q.Queue.Name == reference.Split(':')[^1]).Queue;
            if (target is null)
            {
                reader.Error(location, $"resources.Resources.{queue.LogicalName}.Properties.RedrivePolicy.deadLetterTargetArn names {NamingRules.Quote(reference)}, which is not a queue of this app; declare the dead-letter queue under resources.Resources");
                continue;
            }

            if (target.Fifo != queue.Fifo)
            {
                reader.Error(location, $"resources.Resources.{queue.LogicalName}: the dead-letter queue of a {(queue.Fifo ? "FIFO" : "standard")} queue must be a {(queue.Fifo ? "FIFO" : "standard")} queue too");
                continue;
            }

            resolved.Add(queue with { DeadLetterQueue = target.Name });
        }

        return resolved;
    }

    private QueueDeclaration ReadRedrive(ValueNode value, string path, QueueDeclaration queue)
    {
        string? target = null;
        int? maxReceiveCount = null;
        foreach (var field in reader.Entries(value, path, "a mapping with deadLetterTargetArn and maxReceiveCount"))
        {
            var fieldPath = $"{path}.{field.Key}";
            switch (field.Key)
            {
                case "deadLetterTargetArn":
                    target = field.Value switch
                    {
                        MappingValue { Entries: [{ Key: "Fn::GetAtt", Value: SequenceValue { Items: [ScalarValue { IsNull: false } logicalId, ScalarValue { Text: "Arn" }] } }] } => logicalId.Text,
                        MappingValue { Entries: [{ Key: "Fn::GetAtt", Value: ScalarValue { Text: var dotted } }] } when dotted.EndsWith(".Arn", StringComparison.Ordinal) => dotted[..^4],
                        ScalarValue { IsNull: false, Text: var arn } when arn.StartsWith("arn:aws:sqs:", StringComparison.Ordinal) => arn,
                        _ => Invalid(field.Value, fieldPath),
                    };
                    break;
                case "maxReceiveCount":
                    maxReceiveCount = reader.Integer(field.Value, fieldPath, "1 to 1000", n => n is >= 1 and <= 1000);
                    break;
                default:
                    reader.Warning(field.KeyLocation, $"{fieldPath} is not a RedrivePolicy setting Ferry knows (deadLetterTargetArn, maxReceiveCount); ignored");
                    break;
            }
        }

        if (target is null || maxReceiveCount is null)
        {
            reader.Error(value.Location, $"{path} needs deadLetterTargetArn and maxReceiveCount");
            return queue;
        }

        return queue with { DeadLetterQueue = target, MaxReceiveCount = maxReceiveCount };
    }

    private string? Invalid(ValueNode value, string path)
    {
        if (value is not FailedValue)
        {
            reader.Error(value.Location, $"{path} must be a queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME) or Fn::GetAtt: [LogicalId, Arn], got {value.Describe()}");
        }

        return null;
    }

    private bool Boolean(ValueNode value, string path)
    {
        if (value is ScalarValue { Text: "true" or "True" or "TRUE" })
        {
            return true;
        }

        if (value is not ScalarValue { Text: "false" or "False" or "FALSE" } and not FailedValue)
        {
            reader.Error(value.Location, $"{path} must be true or false, got {value.Describe()}");
        }

        return false;
    }
}
