using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>resources</c>: Ferry's short forms <c>buckets</c> (a mapping of names to <c>{ name }</c>) and
/// <c>databases</c> (a mapping of names to nothing, or to the app stage whose database is used), and CloudFormation's <c>Resources</c>, of which
/// <c>AWS::S3::Bucket</c> is provisioned (so public Serverless examples work) and other types are reported as ignored.
/// </summary>
internal sealed class ResourcesReader(ValueReader reader)
{
    public const string BucketType = "AWS::S3::Bucket";
    public const string QueueType = "AWS::SQS::Queue";

    /// <summary>Queues (<c>AWS::SQS::Queue</c>); a dead-letter queue is named by the logical id or ARN written, resolved once all are read.</summary>
    public List<(QueueDeclaration Queue, SourceLocation Location)> Queues { get; } = [];

    public const string TableType = "AWS::DynamoDB::Table";

    public List<(BucketDeclaration Bucket, SourceLocation Location)> Buckets { get; } = [];

    public List<(DatabaseDeclaration Database, SourceLocation Location)> Databases { get; } = [];

    public List<(TableDeclaration Table, SourceLocation Location)> Tables { get; } = [];

    /// <summary>Every resource under <c>resources.Resources</c> with a <c>Type</c>, by logical id.</summary>
    public Dictionary<string, string> CloudFormationTypes { get; } = new(StringComparer.Ordinal);

    /// <param name="service">The app's name (null after errors), for default bucket names.</param>
    public void Read(ValueNode value, string? service, string stage, string region)
    {
        foreach (var section in reader.Entries(value, "resources"))
        {
            var path = $"resources.{section.Key}";
            switch (section.Key)
            {
                case "buckets":
                    foreach (var bucket in reader.Entries(section.Value, path, "a mapping of bucket names to their settings"))
                    {
                        ReadShortBucket(bucket, $"{path}.{bucket.Key}", service, stage);
                    }

                    break;
                case "databases":
                    foreach (var database in reader.Entries(section.Value, path, "a mapping of database names to their settings"))
                    {
                        ReadDatabase(database, $"{path}.{database.Key}", service, stage, region);
                    }

                    break;
                case "Resources":
                    foreach (var resource in reader.Entries(section.Value, path, "a mapping of logical ids to CloudFormation resources"))
                    {
                        ReadCloudFormation(resource, $"{path}.{resource.Key}", service, stage, region);
                    }

                    break;
                default:
                    reader.IgnoredKey(section, path, KnownKeys.Resources);
                    break;
            }
        }

        foreach (var duplicate in Buckets.GroupBy(b => b.Bucket.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var second = duplicate.Skip(1).First();
            reader.Error(second.Location, $"bucket name {NamingRules.Quote(duplicate.Key)} is declared twice ({string.Join(", ", duplicate.Select(d => d.Bucket.LogicalName))})");
        }

        foreach (var duplicate in Tables.GroupBy(t => t.Table.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var second = duplicate.Skip(1).First();
            reader.Error(second.Location, $"table name {NamingRules.Quote(duplicate.Key)} is declared twice ({string.Join(", ", duplicate.Select(d => d.Table.LogicalName))})");
        }
    }

    private void ReadShortBucket(MappingEntry entry, string path, string? service, string stage)
    {
        string? name = null;
        foreach (var field in entry.Value is ScalarValue { IsNull: true } ? [] : reader.Entries(entry.Value, path, "a mapping with the bucket's settings, or nothing"))
        {
            if (field.Key == "name")
            {
                name = reader.String(field.Value, $"{path}.name");
                if (name is not null && !NamingRules.IsValidBucketName(name))
                {
                    reader.Error(field.Value.Location, $"{path}.name {NamingRules.Quote(name)} is not a valid bucket name; bucket names are {NamingRules.BucketNameRule}");
                    return;
                }
            }
            else
            {
                reader.Error(field.KeyLocation, $"{path}.{field.Key} is not a bucket setting; the only one is 'name'");
            }
        }

        AddBucket(entry.Key, name, entry.KeyLocation, path, service, stage);
    }

    private void ReadCloudFormation(MappingEntry resource, string path, string? service, string stage, string region)
    {
        string? type = null;
        string? bucketName = null;
        ValueNode? properties = null;
        foreach (var field in reader.Entries(resource.Value, path, "a CloudFormation resource with 'Type'"))
        {
            switch (field.Key)
            {
                case "Type":
                    type = reader.String(field.Value, $"{path}.Type");
                    break;
                case "Properties":
                    properties = field.Value;
                    if (resource.Value is MappingValue declared && declared.Entries.Any(e => e.Key == "Type" && e.Value is ScalarValue { Text: TableType }))
                    {
                        break;
                    }

                    foreach (var property in reader.Entries(field.Value, $"{path}.Properties"))
                    {
                        if (property.Key == "BucketName" && type != QueueType)
                        {
                            // `!Sub 'x'` (or `Fn::Sub: x`) arrives as { Fn::Sub: x }.
                            var nameValue = property.Value is MappingValue { Entries: [{ Key: "Fn::Sub", Value: ScalarValue substituted }] } ? substituted : property.Value;
                            bucketName = reader.String(nameValue, $"{path}.Properties.BucketName");

                            // `!Sub '${AWS::StackName}-bucket'`: the Serverless Framework names its stack service-stage.
                            bucketName = bucketName?
                                .Replace("${AWS::StackName}", $"{service}-{stage}", StringComparison.Ordinal)
                                .Replace("${AWS::Region}", region, StringComparison.Ordinal);
                        }
                    }

                    break;
            }
        }

        if (type is null)
        {
            reader.Error(resource.KeyLocation, $"{path} needs a 'Type', for example 'Type: {BucketType}'");
            return;
        }

        CloudFormationTypes[resource.Key] = type;
        if (type == QueueType)
        {
            new QueueResourceReader(reader).Read(resource, properties, path, service, stage, region, Queues);
            return;
        }

        if (type == TableType)
        {
            if (new TableResourceReader(reader).Read(resource, properties, path, service, stage, region) is { } table)
            {
                Tables.Add((table, resource.KeyLocation));
            }

            return;
        }

        if (type != BucketType)
        {
            reader.Warning(resource.KeyLocation, $"{path}: resource type {NamingRules.Quote(type)} is not provisioned by Ferry (it provisions {BucketType}, {TableType}, {QueueType} and resources.databases); ignored");
            return;
        }

        if (bucketName is not null && !NamingRules.IsValidBucketName(bucketName))
        {
            reader.Error(resource.KeyLocation, $"{path}.Properties.BucketName {NamingRules.Quote(bucketName)} is not a valid bucket name; bucket names are {NamingRules.BucketNameRule}");
            return;
        }

        AddBucket(resource.Key, bucketName, resource.KeyLocation, path, service, stage);
    }

    private void AddBucket(string logicalName, string? name, SourceLocation location, string path, string? service, string stage)
    {
        if (name is null)
        {
            if (service is null)
            {
                return;
            }

            name = $"{service}-{stage}-{logicalName.ToLowerInvariant()}";
            if (!NamingRules.IsValidBucketName(name))
            {
                reader.Error(location, $"{path}: the default bucket name {NamingRules.Quote(name)} is not a valid bucket name ({NamingRules.BucketNameRule}); give it a name");
                return;
            }
        }

        Buckets.Add((new BucketDeclaration(logicalName, name), location));
    }

    private void ReadDatabase(MappingEntry entry, string path, string? service, string stage, string region)
    {
        if (!NamingRules.IsValidDatabaseName(entry.Key))
        {
            reader.Error(entry.KeyLocation, $"database name {NamingRules.Quote(entry.Key)} is invalid; database names are {NamingRules.DatabaseNameRule}");
            return;
        }

        string? owner = null, ownerStage = null, ownerRegion = null, ownerDatabase = null;
        var fields = entry.Value is ScalarValue { IsNull: true } ? [] : reader.Entries(entry.Value, path, "a mapping with the database's settings, or nothing");
        foreach (var field in fields)
        {
            switch (field.Key)
            {
                case "service":
                    owner = reader.String(field.Value, $"{path}.service");
                    if (owner is not null && !NamingRules.IsValidServiceName(owner))
                    {
                        reader.Error(field.Value.Location, $"{path}.service {NamingRules.Quote(owner)} is not a service name ({NamingRules.ServiceNameRule})");
                        return;
                    }

                    break;
                case "stage":
                    ownerStage = reader.String(field.Value, $"{path}.stage");
                    if (ownerStage is not null && !NamingRules.IsValidStage(ownerStage))
                    {
                        reader.Error(field.Value.Location, $"{path}.stage {NamingRules.Quote(ownerStage)} is not a stage ({NamingRules.StageRule})");
                        return;
                    }

                    break;
                case "region":
                    ownerRegion = reader.String(field.Value, $"{path}.region");
                    break;
                case "database":
                    ownerDatabase = reader.String(field.Value, $"{path}.database");
                    if (ownerDatabase is not null && !NamingRules.IsValidDatabaseName(ownerDatabase))
                    {
                        reader.Error(field.Value.Location, $"{path}.database {NamingRules.Quote(ownerDatabase)} is not a database name ({NamingRules.DatabaseNameRule})");
                        return;
                    }

                    break;
                default:
                    reader.Error(field.KeyLocation, $"{path}.{field.Key} is not a database setting; a database is declared with nothing, or another app stage's database is used with 'service' (and optionally 'stage', 'region', 'database')");
                    return;
            }
        }

        DatabaseUse? use = null;
        if (fields.Count > 0)
        {
            if (owner is null)
            {
                reader.Error(entry.KeyLocation, $"{path} needs 'service': the app whose database this app uses (a database of this app is declared with no settings)");
                return;
            }

            use = new DatabaseUse(owner, ownerStage ?? stage, ownerRegion ?? region, ownerDatabase ?? entry.Key);
            if (use.Service == service && use.Stage == stage && use.Region == region)
            {
                reader.Error(entry.KeyLocation, $"{path} names this app stage's own database '{use.Database}'; declare it under resources.databases with no settings");
                return;
            }
        }

        // Names become environment variables (FERRY_DATABASE_MY_DB_URL), where '-' and '_' are the same.
        static string VariablePart(string name) => name.Replace('-', '_');
        if (Databases.FirstOrDefault(d => VariablePart(d.Database.Name) == VariablePart(entry.Key)) is { Database: { } other })
        {
            reader.Error(entry.KeyLocation, other.Name == entry.Key
                ? $"database '{entry.Key}' is declared twice"
                : $"databases '{other.Name}' and '{entry.Key}' would share their environment variables; rename one");
            return;
        }

        Databases.Add((new DatabaseDeclaration(entry.Key) { Use = use }, entry.KeyLocation));
    }
}
