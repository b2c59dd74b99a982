using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Resources.Queues;

/// <summary>Reading operation inputs (strings, numbers in range, lists, maps) and queue attributes into <see cref="QueueSettings"/>.</summary>
internal sealed partial class SqsOperations
{
    private static QueueSettings ApplyAttributes(QueueSettings settings, IReadOnlyDictionary<string, string> attributes, bool creating)
    {
        foreach (var (name, value) in attributes)
        {
            if (IgnoredAttributes.Contains(name))
            {
                continue;
            }

            if (!SettableAttributes.Contains(name))
            {
                throw new SqsException("InvalidAttributeName", "InvalidAttributeName", 400, $"Unknown Attribute {Shorten(name)}.");
            }

            settings = name switch
            {
                "VisibilityTimeout" => settings with { VisibilityTimeoutSeconds = AttributeInteger(name, value) },
                "MessageRetentionPeriod" => settings with { MessageRetentionSeconds = AttributeInteger(name, value) },
                "DelaySeconds" => settings with { DelaySeconds = AttributeInteger(name, value) },
                "MaximumMessageSize" => settings with { MaximumMessageBytes = AttributeInteger(name, value) },
                "ReceiveMessageWaitTimeSeconds" => settings with { ReceiveWaitTimeSeconds = AttributeInteger(name, value) },
                "ContentBasedDeduplication" => settings with { ContentBasedDeduplication = AttributeBoolean(name, value) },
                "FifoQueue" when creating => settings with { Fifo = AttributeBoolean(name, value) },
                "FifoQueue" => AttributeBoolean(name, value) == settings.Fifo ? settings
                    : throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, "FifoQueue can't be changed after the queue is created"),
                "RedrivePolicy" => Redrive(settings, value),
                _ => settings,
            };
        }

        return settings.Problem() is { } problem ? throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, $"Invalid value for an attribute: {problem}") : settings;
    }

    private static QueueSettings Redrive(QueueSettings settings, string value)
    {
        if (value.Length == 0)
        {
            return settings with { DeadLetterQueue = null, MaxReceiveCount = 0 };
        }

        try
        {
            using var document = JsonDocument.Parse(value);
            var root = document.RootElement;
            var target = root.GetProperty("deadLetterTargetArn").GetString();
            var count = root.GetProperty("maxReceiveCount");
            var maxReceiveCount = count.ValueKind == JsonValueKind.Number ? count.GetInt32() : int.Parse(count.GetString()!, CultureInfo.InvariantCulture);
            var name = target is null ? null : QueueUrls.NameOf(target);
            return name is null
                ? throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, "RedrivePolicy.deadLetterTargetArn must be a queue ARN")
                : settings with { DeadLetterQueue = name, MaxReceiveCount = maxReceiveCount };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400,
                "RedrivePolicy must be JSON with deadLetterTargetArn and maxReceiveCount: {\"deadLetterTargetArn\":\"arn:aws:sqs:…\",\"maxReceiveCount\":5}");
        }
    }

    private static int AttributeInteger(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number
        : throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, $"Invalid value for the parameter {name}: '{Shorten(value)}' is not a number");

    private static bool AttributeBoolean(string name, string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new SqsException("InvalidAttributeValue", "InvalidAttributeValue", 400, $"Invalid value for the parameter {name}: '{Shorten(value)}' is not true or false"),
    };

    private static string Required(JsonObject input, string name) => Optional(input, name) ?? throw SqsException.MissingParameter(name);

    private static string? Optional(JsonObject input, string name) => input[name] switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value when value.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.ToJsonString(),
        null => null,
        _ => throw SqsException.InvalidParameter($"{name} must be a string"),
    };

    private static int? Integer(JsonObject input, string name, int min, int max)
    {
        if (Optional(input, name) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw SqsException.InvalidParameter($"Value {Shorten(text)} for parameter {name} is invalid. Reason: must be between {min} and {max}.");
    }

    private static List<string> Strings(JsonObject input, string name) => input[name] switch
    {
        JsonArray list => [.. list.Select(item => item is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw SqsException.InvalidParameter($"{name} must be a list of strings"))],
        null => [],
        _ => throw SqsException.InvalidParameter($"{name} must be a list of strings"),
    };

    private static Dictionary<string, string> StringMap(JsonObject input, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (input[name])
        {
            case JsonObject entries:
                foreach (var (key, value) in entries)
                {
                    map[key] = value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : value?.ToJsonString() ?? "";
                }

                break;
            case null:
                break;
            default:
                throw SqsException.InvalidParameter($"{name} must be a map of strings");
        }

        return map;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;
}
