using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads the <c>Properties</c> of an <c>AWS::DynamoDB::Table</c> resource: TableName, AttributeDefinitions, KeySchema
/// and the secondary indexes. Capacity and billing settings don't apply on Ferry and are ignored quietly; features
/// Ferry doesn't provide (streams, TTL) are named in a warning. Mistakes are errors at their line.
/// </summary>
internal sealed class TableResourceReader(ValueReader reader)
{
    private static readonly HashSet<string> Quiet = new(StringComparer.Ordinal)
    {
        "BillingMode", "ProvisionedThroughput", "Tags", "SSESpecification", "PointInTimeRecoverySpecification", "TableClass",
        "DeletionProtectionEnabled", "ContributorInsightsSpecification", "OnDemandThroughput", "WarmThroughput",
    };

    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "StreamSpecification", "TimeToLiveSpecification", "KinesisStreamSpecification", "ImportSourceSpecification", "ResourcePolicy",
    };

    /// <returns>Null after errors.</returns>
    public TableDeclaration? Read(MappingEntry resource, ValueNode? properties, string path, string? service, string stage, string region)
    {
        string? name = null;
        Dictionary<string, string>? types = null;
        TableKey? key = null;
        SourceLocation? keyLocation = null;
        var global = new List<TableIndexDeclaration>();
        var local = new List<TableIndexDeclaration>();
        var failed = false;
        var propertiesPath = $"{path}.Properties";
        foreach (var property in properties is null ? [] : reader.Entries(properties, propertiesPath))
        {
            var propertyPath = $"{propertiesPath}.{property.Key}";
            switch (property.Key)
            {
                case "TableName":
                    var nameValue = property.Value is MappingValue { Entries: [{ Key: "Fn::Sub", Value: ScalarValue substituted }] } ? substituted : property.Value;
                    name = reader.String(nameValue, propertyPath)?
                        .Replace("${AWS::StackName}", $"{service}-{stage}", StringComparison.Ordinal)
                        .Replace("${AWS::Region}", region, StringComparison.Ordinal);
                    if (name is not null && !NamingRules.IsValidTableName(name))
                    {
                        reader.Error(property.Value.Location, $"{propertyPath} {NamingRules.Quote(name)} is not a valid table name; table names are {NamingRules.TableNameRule}");
                        failed = true;
                    }

                    break;
                case "AttributeDefinitions":
                    types = ReadAttributes(property.Value, propertyPath);
                    failed |= types is null;
                    break;
                case "KeySchema":
                    keyLocation = property.Value.Location;
                    key = ReadKey(property.Value, propertyPath);
                    failed |= key is null;
                    break;
                case "GlobalSecondaryIndexes" or "LocalSecondaryIndexes":
                    var target = property.Key == "GlobalSecondaryIndexes" ? global : local;
                    var items = reader.Items(property.Value, propertyPath);
                    for (var i = 0; i < items.Count; i++)
                    {
                        if (ReadIndex(items[i], $"{propertyPath}[{i}]") is { } index)
                        {
                            target.Add(index);
                        }
                        else
                        {
                            failed = true;
                        }
                    }

                    break;
                default:
                    if (Unsupported.Contains(property.Key))
                    {
                        reader.Warning(property.KeyLocation, $"{propertyPath} is not provided by Ferry's tables (no streams, no item expiry); ignored");
                    }
                    else if (!Quiet.Contains(property.Key))
                    {
                        reader.Warning(property.KeyLocation, $"{propertyPath} is not used by Ferry; ignored");
                    }

                    break;
            }
        }

        if (key is null || types is null)
        {
            if (!failed)
            {
                reader.Error(resource.KeyLocation, $"{path}: an AWS::DynamoDB::Table needs Properties.AttributeDefinitions and Properties.KeySchema");
            }

            return null;
        }

        if (failed)
        {
            return null;
        }

        foreach (var (where, attribute) in new[] { ("KeySchema", key.PartitionKey), ("KeySchema", key.SortKey) }
            .Concat(global.Concat(local).SelectMany(i => new[] { ($"index {i.Name}", i.Key.PartitionKey), ($"index {i.Name}", i.Key.SortKey) })))
        {
            if (attribute is not null && !types.ContainsKey(attribute))
            {
                reader.Error(keyLocation ?? resource.KeyLocation, $"{propertiesPath}: the {where} uses the attribute {NamingRules.Quote(attribute)}, which AttributeDefinitions does not define");
                return null;
            }
        }

        if (local.FirstOrDefault(i => i.Key.PartitionKey != key.PartitionKey || i.Key.SortKey is null) is { } wrongLocal)
        {
            reader.Error(resource.KeyLocation, $"{propertiesPath}.LocalSecondaryIndexes: index {NamingRules.Quote(wrongLocal.Name)} must use the table's partition key {NamingRules.Quote(key.PartitionKey)} as HASH and have a RANGE key");
            return null;
        }

        if (service is null)
        {
            return null;
        }

        name ??= $"{service}-{stage}-{resource.Key}";
        return new TableDeclaration(resource.Key, name, types, key, global, local);
    }

    private Dictionary<string, string>? ReadAttributes(ValueNode value, string path)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var items = reader.Items(value, path);
        for (var i = 0; i < items.Count; i++)
        {
            string? name = null;
            string? type = null;
            foreach (var field in reader.Entries(items[i], $"{path}[{i}]", "a mapping with AttributeName and AttributeType"))
            {
                switch (field.Key)
                {
                    case "AttributeName":
                        name = reader.String(field.Value, $"{path}[{i}].AttributeName");
                        break;
                    case "AttributeType":
                        type = reader.String(field.Value, $"{path}[{i}].AttributeType");
                        break;
                }
            }

            if (name is null || type is not ("S" or "N" or "B"))
            {
                reader.Error(items[i].Location, $"{path}[{i}] needs an AttributeName and an AttributeType of S, N or B{(type is null ? "" : $", got {NamingRules.Quote(type)}")}");
                return null;
            }

            if (!types.TryAdd(name, type))
            {
                reader.Error(items[i].Location, $"{path}[{i}]: attribute {NamingRules.Quote(name)} is defined twice");
                return null;
            }
        }

        return types;
    }

    private TableKey? ReadKey(ValueNode value, string path)
    {
        string? hash = null;
        string? range = null;
        var items = reader.Items(value, path);
        for (var i = 0; i < items.Count; i++)
        {
            string? name = null;
            string? type = null;
            foreach (var field in reader.Entries(items[i], $"{path}[{i}]", "a mapping with AttributeName and KeyType"))
            {
                switch (field.Key)
                {
                    case "AttributeName":
                        name = reader.String(field.Value, $"{path}[{i}].AttributeName");
                        break;
                    case "KeyType":
                        type = reader.String(field.Value, $"{path}[{i}].KeyType");
                        break;
                }
            }

            switch (type)
            {
                case "HASH" when name is not null && hash is null:
                    hash = name;
                    break;
                case "RANGE" when name is not null && range is null:
                    range = name;
                    break;
                default:
                    reader.Error(items[i].Location, $"{path}[{i}] needs an AttributeName and a KeyType of HASH or RANGE (one of each at most)");
                    return null;
            }
        }

        if (hash is null)
        {
            reader.Error(value.Location, $"{path} needs a HASH key, for example '- AttributeName: id' with 'KeyType: HASH'");
            return null;
        }

        return new TableKey(hash, range);
    }

    private TableIndexDeclaration? ReadIndex(ValueNode value, string path)
    {
        string? name = null;
        TableKey? key = null;
        var projection = "ALL";
        List<string> nonKey = [];
        foreach (var field in reader.Entries(value, path, "a mapping with IndexName, KeySchema and Projection"))
        {
            switch (field.Key)
            {
                case "IndexName":
                    name = reader.String(field.Value, $"{path}.IndexName");
                    break;
                case "KeySchema":
                    key = ReadKey(field.Value, $"{path}.KeySchema");
                    if (key is null)
                    {
                        return null;
                    }

                    break;
                case "Projection":
                    foreach (var part in reader.Entries(field.Value, $"{path}.Projection"))
                    {
                        if (part.Key == "ProjectionType")
                        {
                            projection = reader.String(part.Value, $"{path}.Projection.ProjectionType") ?? projection;
                        }
                        else if (part.Key == "NonKeyAttributes")
                        {
                            nonKey = reader.Strings(part.Value, $"{path}.Projection.NonKeyAttributes");
                        }
                    }

                    if (projection is not ("ALL" or "KEYS_ONLY" or "INCLUDE"))
                    {
                        reader.Error(field.Value.Location, $"{path}.Projection.ProjectionType must be ALL, KEYS_ONLY or INCLUDE, got {NamingRules.Quote(projection)}");
                        return null;
                    }

                    break;
            }
        }

        if (name is null || !NamingRules.IsValidTableName(name) || key is null)
        {
            reader.Error(value.Location, $"{path} needs an IndexName ({NamingRules.TableNameRule}) and a KeySchema");
            return null;
        }

        return new TableIndexDeclaration(name, key, projection, nonKey);
    }
}
