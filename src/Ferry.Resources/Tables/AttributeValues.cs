using System.Text;
using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables;

/// <summary>
/// DynamoDB attribute values in their wire form (<c>{"S": "x"}</c>, <c>{"N": "1"}</c>, <c>{"M": {…}}</c>…): checking
/// and normalising what clients send, equality and ordering by DynamoDB's rules (N numerically, S by UTF-8 bytes, B by
/// bytes), sizes, and the byte encoding of key values whose order is DynamoDB's order.
/// </summary>
internal static class AttributeValues
{
    public const int MaxItemBytes = 400 * 1024;
    private const int MaxDepth = 32;

    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal) { "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS" };

    /// <summary>The type tag of a (checked) value.</summary>
    public static string TypeOf(JsonNode value) => ((JsonObject)value).First().Key;

    public static JsonNode? Payload(JsonNode value) => ((JsonObject)value).First().Value;

    public static JsonObject Of(string type, JsonNode? payload) => new() { [type] = payload };

    public static JsonObject String(string text) => Of("S", text);

    public static JsonObject Number(DynamoNumber number) => Of("N", number.ToString());

    /// <summary>Checks a client's value and returns it normalised (numbers in plain form, binary re-encoded).</summary>
    /// <exception cref="DynamoDbException">ValidationException naming <paramref name="path"/>.</exception>
    public static JsonObject Check(JsonNode? value, string path, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw DynamoDbException.Validation($"Nesting Levels have exceeded supported limits at {path}: the limit is {MaxDepth}");
        }

        if (value is not JsonObject { Count: 1 } single)
        {
            throw DynamoDbException.Validation($"Supplied AttributeValue at {path} has {(value is JsonObject o ? o.Count : 0)} data types; it must have exactly one of {string.Join(", ", Types)}");
        }

        var (type, payload) = single.First();
        switch (type)
        {
            case "S":
                return String(Text(payload, path));
            case "N":
                return Number(DynamoNumber.Parse(Text(payload, path)));
            case "B":
                return Of("B", Convert.ToBase64String(Binary(payload, path)));
            case "BOOL":
                return payload is JsonValue b && b.TryGetValue<bool>(out var flag)
                    ? Of("BOOL", flag)
                    : throw DynamoDbException.Validation($"BOOL at {path} must be true or false");
            case "NULL":
                return payload is JsonValue n && n.TryGetValue<bool>(out var isNull) && isNull
                    ? Of("NULL", true)
                    : throw DynamoDbException.Validation($"NULL at {path} must be true");
            case "M":
                if (payload is not JsonObject map)
                {
                    throw DynamoDbException.Validation($"M at {path} must be an object of attribute values");
                }

                var checkedMap = new JsonObject();
                foreach (var (name, member) in map)
                {
                    checkedMap[name] = Check(member, $"{path}.{name}", depth + 1);
                }

                return Of("M", checkedMap);
            case "L":
                if (payload is not JsonArray list)
                {
                    throw DynamoDbException.Validation($"L at {path} must be an array of attribute values");
                }

                return Of("L", new JsonArray([.. list.Select((item, i) => (JsonNode)Check(item, $"{path}[{i}]", depth + 1))]));
            case "SS" or "NS" or "BS":
                if (payload is not JsonArray { Count: > 0 } set)
                {
                    throw DynamoDbException.Validation($"{type} at {path} must be a non-empty array: an empty set is not allowed");
                }

                var members = set.Select(m => type switch
                {
                    "SS" => Text(m, path),
                    "NS" => DynamoNumber.Parse(Text(m, path)).ToString(),
                    _ => Convert.ToBase64String(Binary(m, path)),
                }).ToList();
                if (members.Distinct(StringComparer.Ordinal).Count() != members.Count)
                {
                    throw DynamoDbException.Validation($"One or more parameter values were invalid: Input collection {path} of type {type} contains duplicates");
                }

                return Of(type, new JsonArray([.. members.Select(m => (JsonNode)m)]));
            default:
                throw DynamoDbException.Validation($"Supplied AttributeValue at {path} has the unknown type '{type}'; types are {string.Join(", ", Types)}");
        }
    }

    /// <summary>Checks every attribute of an item (as sent in PutItem's Item or a Key).</summary>
    public static JsonObject CheckItem(JsonNode? item, string path)
    {
        if (item is not JsonObject attributes)
        {
            throw DynamoDbException.Validation($"{path} must be a map of attribute names to attribute values");
        }

        var result = new JsonObject();
        foreach (var (name, value) in attributes)
        {
            if (name.Length == 0)
            {
                throw DynamoDbException.Validation($"{path}: an attribute name must not be empty");
            }

            result[name] = Check(value, $"{path}.{name}");
        }

        return result;
    }

    public static bool AreEqual(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        var type = TypeOf(a);
        if (type != TypeOf(b))
        {
            return false;
        }

        var (x, y) = (Payload(a), Payload(b));
        switch (type)
        {
            case "S" or "B":
                return x!.GetValue<string>() == y!.GetValue<string>();
            case "N":
                return NumberOf(a).CompareTo(NumberOf(b)) == 0;
            case "BOOL" or "NULL":
                return x!.GetValue<bool>() == y!.GetValue<bool>();
            case "SS" or "BS" or "NS":
                var left = SetMembers(a);
                var right = SetMembers(b);
                return left.Count == right.Count && left.All(right.Contains);
            case "L":
                var (l1, l2) = ((JsonArray)x!, (JsonArray)y!);
                return l1.Count == l2.Count && l1.Zip(l2).All(p => AreEqual(p.First, p.Second));
            case "M":
                var (m1, m2) = ((JsonObject)x!, (JsonObject)y!);
                return m1.Count == m2.Count && m1.All(p => m2.TryGetPropertyValue(p.Key, out var other) && AreEqual(p.Value, other));
            default:
                return false;
        }
    }

    /// <summary>Orders two values of the same scalar type (N, S or B); null when they are not comparable.</summary>
    public static int? Compare(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null || TypeOf(a) != TypeOf(b))
        {
            return null;
        }

        return TypeOf(a) switch
        {
            "N" => NumberOf(a).CompareTo(NumberOf(b)),
            "S" => Encoding.UTF8.GetBytes(Payload(a)!.GetValue<string>()).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(Payload(b)!.GetValue<string>())),
            "B" => BytesOf(a).AsSpan().SequenceCompareTo(BytesOf(b)),
            _ => null,
        };
    }

    public static DynamoNumber NumberOf(JsonNode value) => DynamoNumber.Parse(Payload(value)!.GetValue<string>());

    public static byte[] BytesOf(JsonNode value) => Convert.FromBase64String(Payload(value)!.GetValue<string>());

    /// <summary>A set's members in their canonical text (numbers normalised, binary in base64).</summary>
    public static HashSet<string> SetMembers(JsonNode set) =>
        ((JsonArray)Payload(set)!).Select(m => TypeOf(set) == "NS" ? DynamoNumber.Parse(m!.GetValue<string>()).ToString() : m!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

    /// <summary>The bytes of a key value (S, N or B) whose lexicographic order is DynamoDB's order for that type.</summary>
    public static byte[] KeyBytes(JsonNode value) => TypeOf(value) switch
    {
        "S" => Encoding.UTF8.GetBytes(Payload(value)!.GetValue<string>()),
        "N" => NumberOf(value).ToSortableBytes(),
        "B" => BytesOf(value),
        var other => throw DynamoDbException.Validation($"A key attribute must be S, N or B, not {other}"),
    };

    /// <summary>An item's size as DynamoDB counts it (names and values, in bytes).</summary>
    public static int ItemSize(JsonObject item) => item.Sum(p => Encoding.UTF8.GetByteCount(p.Key) + Size(p.Value!));

    public static int Size(JsonNode value)
    {
        var payload = Payload(value);
        return TypeOf(value) switch
        {
            "S" => Encoding.UTF8.GetByteCount(payload!.GetValue<string>()),
            "N" => NumberOf(value).StorageSize,
            "B" => BytesOf(value).Length,
            "BOOL" or "NULL" => 1,
            "SS" => ((JsonArray)payload!).Sum(m => Encoding.UTF8.GetByteCount(m!.GetValue<string>())),
            "NS" => ((JsonArray)payload!).Sum(m => DynamoNumber.Parse(m!.GetValue<string>()).StorageSize),
            "BS" => ((JsonArray)payload!).Sum(m => Convert.FromBase64String(m!.GetValue<string>()).Length),
            "L" => 3 + ((JsonArray)payload!).Sum(m => 1 + Size(m!)),
            "M" => 3 + ((JsonObject)payload!).Sum(p => 1 + Encoding.UTF8.GetByteCount(p.Key) + Size(p.Value!)),
            _ => 0,
        };
    }

    private static string Text(JsonNode? payload, string path) =>
        payload is JsonValue v && v.TryGetValue<string>(out var text) ? text : throw DynamoDbException.Validation($"The value at {path} must be a JSON string");

    private static byte[] Binary(JsonNode? payload, string path)
    {
        try
        {
            return Convert.FromBase64String(Text(payload, path));
        }
        catch (FormatException)
        {
            throw DynamoDbException.Validation($"The binary value at {path} is not valid base64");
        }
    }
}
