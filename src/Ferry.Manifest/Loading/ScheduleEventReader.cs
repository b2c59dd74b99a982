using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads a <c>schedule</c> event in the Serverless v3 forms: <c>schedule: rate(5 minutes)</c>, or a mapping with
/// <c>rate</c> (one expression or a list of them), <c>enabled</c> and <c>input</c>. Expressions are checked here, so a
/// bad one is reported at its line and column.
/// </summary>
internal sealed partial class ScheduleEventReader(ValueReader reader)
{
    private const string Expected = "'rate(…)', 'cron(…)' or a mapping with 'rate'";

    /// <summary>One schedule per expression; empty after errors.</summary>
    public IReadOnlyList<ScheduleEvent> Read(ValueNode value, string path)
    {
        switch (value)
        {
            case ScalarValue { IsNull: false } scalar:
                return Expression(scalar, path) is { } expression ? [new ScheduleEvent(expression)] : [];
            case MappingValue mapping:
                return ReadLongForm(mapping, path);
            case FailedValue:
                return [];
            default:
                reader.Error(value.Location, $"{path} must be {Expected}, got {value.Describe()}");
                return [];
        }
    }

    private List<ScheduleEvent> ReadLongForm(MappingValue mapping, string path)
    {
        var expressions = new List<string>();
        var hasRate = false;
        var enabled = true;
        string? input = null;
        var errorsBefore = reader.Diagnostics.ErrorCount;
        foreach (var entry in mapping.Entries)
        {
            var entryPath = $"{path}.{entry.Key}";
            switch (entry.Key)
            {
                case "rate":
                    hasRate = true;
                    expressions.AddRange(Expressions(entry.Value, entryPath));
                    break;
                case "enabled":
                    enabled = Boolean(entry.Value, entryPath) ?? enabled;
                    break;
                case "input":
                    input = Input(entry.Value, entryPath);
                    break;
                default:
                    reader.IgnoredKey(entry, entryPath, KnownKeys.ScheduleEvent);
                    break;
            }
        }

        if (!hasRate)
        {
            reader.Error(mapping.Location, $"{path} must have 'rate' with a schedule expression, for example rate: rate(10 minutes)");
        }

        return reader.Diagnostics.ErrorCount > errorsBefore ? [] : [.. expressions.Select(e => new ScheduleEvent(e, enabled, input))];
    }

    private List<string> Expressions(ValueNode value, string path)
    {
        if (value is SequenceValue sequence)
        {
            var expressions = new List<string>();
            for (var i = 0; i < sequence.Items.Count; i++)
            {
                if (sequence.Items[i] is ScalarValue { IsNull: false } item)
                {
                    if (Expression(item, $"{path}[{i}]") is { } expression)
                    {
                        expressions.Add(expression);
                    }
                }
                else if (sequence.Items[i] is not FailedValue)
                {
                    reader.Error(sequence.Items[i].Location, $"{path}[{i}] must be 'rate(…)' or 'cron(…)', got {sequence.Items[i].Describe()}");
                }
            }

            if (sequence.Items.Count == 0)
            {
                reader.Error(value.Location, $"{path} must list at least one schedule expression");
            }

            return expressions;
        }

        if (value is ScalarValue { IsNull: false } scalar)
        {
            return Expression(scalar, path) is { } expression ? [expression] : [];
        }

        if (value is not FailedValue)
        {
            reader.Error(value.Location, $"{path} must be 'rate(…)', 'cron(…)' or a list of them, got {value.Describe()}");
        }

        return [];
    }

    private string? Expression(ScalarValue scalar, string path)
    {
        if (ScheduleExpression.TryParse(scalar.Text, out var expression, out var problem))
        {
            return expression.Text;
        }

        reader.Error(scalar.Location, $"{path} {problem}");
        return null;
    }

    private bool? Boolean(ValueNode value, string path)
    {
        if (value is ScalarValue { IsNull: false } scalar && bool.TryParse(scalar.Text.Trim(), out var flag))
        {
            return flag;
        }

        if (value is not FailedValue)
        {
            reader.Error(value.Location, $"{path} must be true or false, got {value.Describe()}");
        }

        return null;
    }

    /// <summary>The event to send instead of the scheduled-event document, as JSON text.</summary>
    private string? Input(ValueNode value, string path)
    {
        switch (value)
        {
            case MappingValue or SequenceValue:
                return ToJson(value)?.ToJsonString();
            case ScalarValue { IsNull: false } scalar:
                try
                {
                    // A string is taken as JSON text, as the Serverless Framework does.
                    using var document = JsonDocument.Parse(scalar.Text);
                    return JsonSerializer.Serialize(document.RootElement);
                }
                catch (JsonException)
                {
                    reader.Error(scalar.Location, $"{path} must be a mapping or a JSON document, got {scalar.Describe()} (not valid JSON)");
                    return null;
                }

            case FailedValue:
                return null;
            default:
                reader.Error(value.Location, $"{path} must be a mapping or a JSON document, got {value.Describe()}");
                return null;
        }
    }

    /// <summary>
    /// YAML to JSON: mappings and lists keep their shape; plain <c>true</c>/<c>false</c> and numbers become JSON
    /// booleans and numbers, everything else a string. Null when part of the value failed to resolve.
    /// </summary>
    private static JsonNode? ToJson(ValueNode value)
    {
        switch (value)
        {
            case MappingValue mapping:
                var obj = new JsonObject();
                foreach (var entry in mapping.Entries)
                {
                    if (entry.Value is FailedValue)
                    {
                        return null;
                    }

                    obj[entry.Key] = ToJson(entry.Value);
                }

                return obj;
            case SequenceValue sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Items)
                {
                    if (item is FailedValue)
                    {
                        return null;
                    }

                    array.Add(ToJson(item));
                }

                return array;
            case ScalarValue { IsNull: true }:
                return null;
            case ScalarValue scalar when bool.TryParse(scalar.Text, out var flag):
                return JsonValue.Create(flag);
            case ScalarValue scalar when JsonNumber().IsMatch(scalar.Text)
                                         && decimal.TryParse(scalar.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                return JsonValue.Create(number);
            case ScalarValue scalar:
                return JsonValue.Create(scalar.Text);
            default:
                return null;
        }
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}
