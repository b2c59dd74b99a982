using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables;

/// <summary>Reads and checks the key attributes of items and keys against a table's definition.</summary>
internal static class ItemKeys
{
    /// <summary>The encoded primary key of a full item; its key attributes must be present, of their declared types, and not empty.</summary>
    public static ItemKey Of(TableDefinition table, JsonObject item)
    {
        var partition = Encode(table, table.Key.PartitionKey, item, "item");
        var sort = table.Key.SortKey is { } sortKey ? Encode(table, sortKey, item, "item") : [];
        return new ItemKey(partition, sort);
    }

    /// <summary>A request's <c>Key</c>: exactly the table's key attributes.</summary>
    public static (ItemKey Key, JsonObject Attributes) FromKey(TableDefinition table, JsonNode? key, string field = "Key")
    {
        var attributes = AttributeValues.CheckItem(key ?? throw DynamoDbException.Validation($"{field} is required"), field);
        if (attributes.Count != table.Key.Attributes.Count() || table.Key.Attributes.Any(a => !attributes.ContainsKey(a)))
        {
            throw DynamoDbException.Validation(
                $"The provided key element does not match the schema: {field} has [{string.Join(", ", attributes.Select(a => a.Key))}], table {table.Name}'s key is [{string.Join(", ", table.Key.Attributes)}]");
        }

        return (Of(table, attributes), attributes);
    }

    /// <summary>The item's key in <paramref name="index"/>, or null when the item lacks an index key attribute (it is not in that index).</summary>
    public static ItemKey? OfIndex(TableDefinition table, TableIndex index, JsonObject item)
    {
        if (index.Key.Attributes.Any(a => !item.ContainsKey(a)))
        {
            return null;
        }

        var partition = Encode(table, index.Key.PartitionKey, item, $"index {index.Name}");
        var sort = index.Key.SortKey is { } sortKey ? Encode(table, sortKey, item, $"index {index.Name}") : [];
        return new ItemKey(partition, sort);
    }

    /// <summary>The attributes of <paramref name="item"/> that are keys of the table (and of <paramref name="index"/>): a LastEvaluatedKey.</summary>
    public static JsonObject KeyAttributes(TableDefinition table, TableIndex? index, JsonObject item)
    {
        var key = new JsonObject();
        foreach (var attribute in table.Key.Attributes.Concat(index?.Key.Attributes ?? []).Distinct(StringComparer.Ordinal))
        {
            if (item[attribute] is { } value)
            {
                key[attribute] = value.DeepClone();
            }
        }

        return key;
    }

    public static byte[] Encode(TableDefinition table, string attribute, JsonObject item, string what)
    {
        if (item[attribute] is not { } value)
        {
            throw DynamoDbException.Validation($"One or more parameter values were invalid: Missing the key {attribute} in the {what}");
        }

        var expected = table.TypeOf(attribute);
        var actual = AttributeValues.TypeOf(value);
        if (actual != expected)
        {
            throw DynamoDbException.Validation($"One or more parameter values were invalid: Type mismatch for key {attribute} expected: {expected} actual: {actual} ({what})");
        }

        var bytes = AttributeValues.KeyBytes(value);
        if (bytes.Length == 0)
        {
            throw DynamoDbException.Validation($"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {(actual == "S" ? "string" : "binary")} value. Key: {attribute}");
        }

        if (bytes.Length > (attribute == table.Key.PartitionKey ? 2048 : 1024))
        {
            throw DynamoDbException.Validation($"One or more parameter values were invalid: Size of key {attribute} exceeds the limit ({(attribute == table.Key.PartitionKey ? 2048 : 1024)} bytes)");
        }

        return bytes;
    }

    /// <summary>The smallest byte string greater than every string starting with <paramref name="prefix"/>; null when there is none.</summary>
    public static byte[]? PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null;
    }
}
