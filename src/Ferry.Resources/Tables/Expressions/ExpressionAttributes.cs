using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables.Expressions;

/// <summary>
/// A request's ExpressionAttributeNames and ExpressionAttributeValues, and which of them its expressions used: as on
/// DynamoDB, a placeholder that no expression uses is an error.
/// </summary>
internal sealed class ExpressionAttributes
{
    private readonly Dictionary<string, string> names;
    private readonly Dictionary<string, JsonObject> values;
    private readonly HashSet<string> usedNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> usedValues = new(StringComparer.Ordinal);

    public ExpressionAttributes(IReadOnlyDictionary<string, string>? names = null, IReadOnlyDictionary<string, JsonObject>? values = null)
    {
        this.names = names is null ? [] : new Dictionary<string, string>(names, StringComparer.Ordinal);
        this.values = values is null ? [] : new Dictionary<string, JsonObject>(values, StringComparer.Ordinal);
    }

    /// <summary>Reads them from a request (<c>ExpressionAttributeNames</c>, <c>ExpressionAttributeValues</c>).</summary>
    public static ExpressionAttributes From(JsonObject request)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request["ExpressionAttributeNames"] is JsonObject nameMap)
        {
            foreach (var (key, value) in nameMap)
            {
                if (!key.StartsWith('#') || value is not JsonValue v || !v.TryGetValue<string>(out var name) || name.Length == 0)
                {
                    throw DynamoDbException.Validation($"ExpressionAttributeNames contains invalid key or value: '{key}'; keys start with '#' and values are non-empty attribute names");
                }

                names[key] = name;
            }
        }

        var values = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (request["ExpressionAttributeValues"] is JsonObject valueMap)
        {
            foreach (var (key, value) in valueMap)
            {
                if (!key.StartsWith(':'))
                {
                    throw DynamoDbException.Validation($"ExpressionAttributeValues contains invalid key: Syntax error; key: \"{key}\" (keys start with ':')");
                }

                values[key] = AttributeValues.Check(value, $"ExpressionAttributeValues.{key}");
            }
        }

        return new ExpressionAttributes(names, values);
    }

    public string Name(Token token, string what)
    {
        if (!names.TryGetValue(token.Text, out var name))
        {
            throw DynamoDbException.Validation($"Invalid {what}: An expression attribute name used in the document path is not defined; attribute name: {token.Text}");
        }

        usedNames.Add(token.Text);
        return name;
    }

    public JsonObject Value(Token token, string what)
    {
        if (!values.TryGetValue(token.Text, out var value))
        {
            throw DynamoDbException.Validation($"Invalid {what}: An expression attribute value used in expression is not defined; attribute value: {token.Text}");
        }

        usedValues.Add(token.Text);
        return value;
    }

    /// <summary>After every expression of the request is parsed: refuses placeholders that none used.</summary>
    public void CheckAllUsed()
    {
        var unusedNames = names.Keys.Where(n => !usedNames.Contains(n)).ToList();
        if (unusedNames.Count > 0)
        {
            throw DynamoDbException.Validation($"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{string.Join(", ", unusedNames)}}}");
        }

        var unusedValues = values.Keys.Where(v => !usedValues.Contains(v)).ToList();
        if (unusedValues.Count > 0)
        {
            throw DynamoDbException.Validation($"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{string.Join(", ", unusedValues)}}}");
        }
    }
}
