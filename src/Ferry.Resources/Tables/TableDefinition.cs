using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ferry.Resources.Tables;

/// <summary>A primary key (of a table or an index): a partition key attribute and an optional sort key attribute.</summary>
internal sealed record KeySchema(string PartitionKey, string? SortKey)
{
    public IEnumerable<string> Attributes => SortKey is null ? [PartitionKey] : [PartitionKey, SortKey];

    public JsonArray ToJson()
    {
        var schema = new JsonArray { new JsonObject { ["AttributeName"] = PartitionKey, ["KeyType"] = "HASH" } };
        if (SortKey is not null)
        {
            schema.Add(new JsonObject { ["AttributeName"] = SortKey, ["KeyType"] = "RANGE" });
        }

        return schema;
    }
}

/// <summary>A secondary index: global (its own partition key) or local (the table's partition key, another sort key).</summary>
/// <param name="Projection">ALL, KEYS_ONLY or INCLUDE.</param>
internal sealed record TableIndex(string Name, bool IsGlobal, KeySchema Key, string Projection, IReadOnlyList<string> NonKeyAttributes);

/// <summary>
/// What CreateTable defines: the attribute types of keys, the primary key and the secondary indexes. Built from (and
/// stored as) the CreateTable request's JSON, checked as DynamoDB checks it.
/// </summary>
internal sealed partial record TableDefinition(string Name, IReadOnlyDictionary<string, string> AttributeTypes, KeySchema Key, IReadOnlyList<TableIndex> Indexes)
{
    public const int MaxGlobalIndexes = 20;
    public const int MaxLocalIndexes = 5;

    public TableIndex? Index(string name) => Indexes.FirstOrDefault(i => i.Name == name);

    public string TypeOf(string attribute) => AttributeTypes[attribute];

    /// <summary>Every attribute that is a key of the table or one of its indexes.</summary>
    public IEnumerable<string> KeyAttributes => Key.Attributes.Concat(Indexes.SelectMany(i => i.Key.Attributes)).Distinct(StringComparer.Ordinal);

    public static void CheckName(string? name, string field = "TableName")
    {
        if (name is null || !NamePattern().IsMatch(name))
        {
            throw DynamoDbException.Validation($"1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255");
        }
    }

    /// <summary>Reads a CreateTable request (TableName, AttributeDefinitions, KeySchema, Global/LocalSecondaryIndexes).</summary>
    public static TableDefinition FromRequest(JsonObject request)
    {
        var name = request["TableName"]?.GetValue<string>();
        CheckName(name);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in request["AttributeDefinitions"] as JsonArray ?? throw DynamoDbException.Validation("AttributeDefinitions is required: the types (S, N or B) of the key attributes"))
        {
            var attribute = definition?["AttributeName"]?.GetValue<string>();
            var type = definition?["AttributeType"]?.GetValue<string>();
            if (string.IsNullOrEmpty(attribute) || type is not ("S" or "N" or "B"))
            {
                throw DynamoDbException.Validation($"AttributeDefinitions: each needs an AttributeName and an AttributeType of S, N or B (got {definition?.ToJsonString()})");
            }

            if (!types.TryAdd(attribute, type))
            {
                throw DynamoDbException.Validation($"Cannot have two attributes with the same name: {attribute}");
            }
        }

        var key = ReadKey(request["KeySchema"], "KeySchema", types);
        var indexes = new List<TableIndex>();
        foreach (var (field, global) in new[] { ("GlobalSecondaryIndexes", true), ("LocalSecondaryIndexes", false) })
        {
            if (request[field] is not JsonArray declared)
            {
                continue;
            }

            if (declared.Count > (global ? MaxGlobalIndexes : MaxLocalIndexes))
            {
                throw DynamoDbException.Validation($"{field}: a table has at most {(global ? MaxGlobalIndexes : MaxLocalIndexes)}");
            }

            foreach (var index in declared)
            {
                indexes.Add(ReadIndex(index as JsonObject ?? throw DynamoDbException.Validation($"{field} must be a list of index definitions"), field, global, key, types));
            }
        }

        if (indexes.GroupBy(i => i.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw DynamoDbException.Validation($"Duplicate index name: {twice.Key}");
        }

        var used = key.Attributes.Concat(indexes.SelectMany(i => i.Key.Attributes)).ToHashSet(StringComparer.Ordinal);
        if (types.Keys.FirstOrDefault(a => !used.Contains(a)) is { } unused)
        {
            throw DynamoDbException.Validation($"One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [{string.Join(", ", types.Keys)}], keys used: [{string.Join(", ", used)}] ('{unused}' is no key: only key attributes are defined)");
        }

        return new TableDefinition(name!, types, key, indexes);
    }

    private static KeySchema ReadKey(JsonNode? schema, string field, IReadOnlyDictionary<string, string> types)
    {
        if (schema is not JsonArray { Count: 1 or 2 } elements)
        {
            throw DynamoDbException.Validation($"{field} must list one HASH key and at most one RANGE key");
        }

        string? hash = null;
        string? range = null;
        foreach (var element in elements)
        {
            var attribute = element?["AttributeName"]?.GetValue<string>();
            var keyType = element?["KeyType"]?.GetValue<string>();
            if (attribute is null || !types.ContainsKey(attribute))
            {
                throw DynamoDbException.Validation($"One or more parameter values were invalid: {field}: attribute '{attribute}' is not defined in AttributeDefinitions");
            }

            switch (keyType)
            {
                case "HASH" when hash is null:
                    hash = attribute;
                    break;
                case "RANGE" when range is null:
                    range = attribute;
                    break;
                default:
                    throw DynamoDbException.Validation($"{field}: KeyType must be HASH (once) or RANGE (once), got '{keyType}'");
            }
        }

        if (hash is null || hash == range)
        {
            throw DynamoDbException.Validation($"{field} needs a HASH key, distinct from the RANGE key");
        }

        return new KeySchema(hash, range);
    }

    private static TableIndex ReadIndex(JsonObject index, string field, bool global, KeySchema table, IReadOnlyDictionary<string, string> types)
    {
        var name = index["IndexName"]?.GetValue<string>();
        CheckName(name, $"{field}.IndexName");
        var key = ReadKey(index["KeySchema"], $"{field}[{name}].KeySchema", types);
        if (!global && (key.PartitionKey != table.PartitionKey || key.SortKey is null))
        {
            throw DynamoDbException.Validation($"Local secondary index {name} must have the table's partition key ('{table.PartitionKey}') as HASH key and a RANGE key");
        }

        var projection = index["Projection"]?["ProjectionType"]?.GetValue<string>() ?? "ALL";
        if (projection is not ("ALL" or "KEYS_ONLY" or "INCLUDE"))
        {
            throw DynamoDbException.Validation($"{field}[{name}].Projection.ProjectionType must be ALL, KEYS_ONLY or INCLUDE, got '{projection}'");
        }

        var nonKey = (index["Projection"]?["NonKeyAttributes"] as JsonArray)?.Select(a => a!.GetValue<string>()).ToList() ?? [];
        if (projection != "INCLUDE" && nonKey.Count > 0)
        {
            throw DynamoDbException.Validation($"{field}[{name}]: NonKeyAttributes may only be given with ProjectionType INCLUDE");
        }

        return new TableIndex(name!, global, key, projection, nonKey);
    }

    /// <summary>The CreateTable JSON this definition is stored as.</summary>
    public JsonObject ToRequest()
    {
        var request = new JsonObject
        {
            ["TableName"] = Name,
            ["AttributeDefinitions"] = new JsonArray([.. AttributeTypes.Select(a => (JsonNode)new JsonObject { ["AttributeName"] = a.Key, ["AttributeType"] = a.Value })]),
            ["KeySchema"] = Key.ToJson(),
        };
        foreach (var (field, global) in new[] { ("GlobalSecondaryIndexes", true), ("LocalSecondaryIndexes", false) })
        {
            var indexes = Indexes.Where(i => i.IsGlobal == global).ToList();
            if (indexes.Count > 0)
            {
                request[field] = new JsonArray([.. indexes.Select(i => (JsonNode)IndexJson(i))]);
            }
        }

        return request;
    }

    private static JsonObject IndexJson(TableIndex index)
    {
        var projection = new JsonObject { ["ProjectionType"] = index.Projection };
        if (index.NonKeyAttributes.Count > 0)
        {
            projection["NonKeyAttributes"] = new JsonArray([.. index.NonKeyAttributes.Select(a => (JsonNode)a)]);
        }

        return new JsonObject { ["IndexName"] = index.Name, ["KeySchema"] = index.Key.ToJson(), ["Projection"] = projection };
    }

    /// <summary>DescribeTable's TableDescription.</summary>
    public JsonObject Describe(string status, DateTimeOffset created, long itemCount, long sizeBytes, string region, IReadOnlyDictionary<string, long> indexCounts)
    {
        var arn = $"arn:aws:dynamodb:{region}:{Ferry.Manifest.ManifestDefaults.AccountId}:table/{Name}";
        var zeroThroughput = new JsonObject { ["NumberOfDecreasesToday"] = 0, ["ReadCapacityUnits"] = 0, ["WriteCapacityUnits"] = 0 };
        var description = ToRequest();
        description["TableStatus"] = status;
        description["CreationDateTime"] = created.ToUnixTimeMilliseconds() / 1000.0;
        description["ItemCount"] = itemCount;
        description["TableSizeBytes"] = sizeBytes;
        description["TableArn"] = arn;
        description["TableId"] = new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(arn))).ToString();
        description["BillingModeSummary"] = new JsonObject { ["BillingMode"] = "PAY_PER_REQUEST" };
        description["ProvisionedThroughput"] = zeroThroughput.DeepClone();
        foreach (var field in new[] { "GlobalSecondaryIndexes", "LocalSecondaryIndexes" })
        {
            foreach (var index in description[field] as JsonArray ?? [])
            {
                var name = index!["IndexName"]!.GetValue<string>();
                index["IndexArn"] = $"{arn}/index/{name}";
                index["ItemCount"] = indexCounts.GetValueOrDefault(name);
                index["IndexSizeBytes"] = 0;
                if (field == "GlobalSecondaryIndexes")
                {
                    index["IndexStatus"] = "ACTIVE";
                    index["ProvisionedThroughput"] = zeroThroughput.DeepClone();
                }
            }
        }

        return description;
    }

    [GeneratedRegex("^[a-zA-Z0-9_.-]{3,255}$")]
    private static partial Regex NamePattern();
}
