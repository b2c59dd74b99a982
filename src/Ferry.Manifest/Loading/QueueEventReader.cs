namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads an <c>sqs</c> event: <c>sqs: arn:aws:sqs:REGION:ACCOUNT:NAME</c> (or <c>Fn::GetAtt: [Queue, Arn]</c>), or a
/// mapping with <c>arn</c>, <c>batchSize</c> (1-10000, default 10), <c>maximumBatchingWindow</c> (0-300 s),
/// <c>functionResponseType: ReportBatchItemFailures</c> and <c>enabled</c>. The queue must be one of the app's.
/// </summary>
internal sealed class QueueEventReader(ValueReader reader)
{
    public QueueEvent? Read(ValueNode value, string path)
    {
        if (value is FailedValue)
        {
            return null;
        }

        if (value is ScalarValue || IntrinsicFunctions.IsIntrinsic(value))
        {
            return QueueName(value, path) is { } queue ? new QueueEvent(queue) : null;
        }

        if (value is not MappingValue mapping)
        {
            reader.Error(value.Location, $"{path} must be a queue ARN or a mapping with 'arn', got {value.Describe()}");
            return null;
        }

        var errorsBefore = reader.Diagnostics.ErrorCount;
        string? name = null;
        var result = new QueueEvent("");
        foreach (var entry in mapping.Entries)
        {
            var entryPath = $"{path}.{entry.Key}";
            switch (entry.Key)
            {
                case "arn" or "queueArn":
                    name = QueueName(entry.Value, entryPath);
                    break;
                case "batchSize":
                    result = result with { BatchSize = reader.Integer(entry.Value, entryPath, "1 to 10000", n => n is >= 1 and <= 10_000) ?? 10 };
                    break;
                case "maximumBatchingWindow":
                    result = result with { MaximumBatchingWindow = reader.Integer(entry.Value, entryPath, "0 to 300 seconds", n => n is >= 0 and <= 300) ?? 0 };
                    break;
                case "functionResponseType":
                    var type = reader.String(entry.Value, entryPath);
                    if (type is not null and not "ReportBatchItemFailures")
                    {
                        reader.Error(entry.Value.Location, $"{entryPath} must be ReportBatchItemFailures, got '{type}'");
                    }

                    result = result with { ReportBatchItemFailures = type == "ReportBatchItemFailures" };
                    break;
                case "enabled":
                    result = result with { Enabled = entry.Value is not ScalarValue { Text: "false" or "False" or "FALSE" } };
                    break;
                default:
                    reader.Warning(entry.KeyLocation, $"{entryPath} is not an sqs event setting Ferry uses (arn, batchSize, maximumBatchingWindow, functionResponseType, enabled); ignored");
                    break;
            }
        }

        if (name is null && reader.Diagnostics.ErrorCount == errorsBefore)
        {
            reader.Error(mapping.Location, $"{path} needs 'arn': the ARN of the queue whose messages invoke the function (for example Fn::GetAtt: [MyQueue, Arn])");
        }

        return name is null || reader.Diagnostics.ErrorCount > errorsBefore ? null : result with { Queue = name };
    }

    private string? QueueName(ValueNode value, string path)
    {
        var arn = value is ScalarValue { IsNull: false } scalar ? scalar.Text : IntrinsicFunctions.IsIntrinsic(value) ? reader.Intrinsics?.Evaluate(value, path) : null;
        if (arn is null)
        {
            if (value is not FailedValue && !IntrinsicFunctions.IsIntrinsic(value))
            {
                reader.Error(value.Location, $"{path} must be a queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME) or Fn::GetAtt: [LogicalId, Arn], got {value.Describe()}");
            }

            return null;
        }

        if (arn.Split(':') is not ["arn", _, "sqs", _, _, { Length: > 0 } name])
        {
            reader.Error(value.Location, $"{path} '{arn}' is not a queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)");
            return null;
        }

        return name;
    }
}
