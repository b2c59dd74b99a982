using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads <c>resources</c>: Ferry's short forms <c>buckets</c> (a mapping of names to <c>{ name }</c>) and
/// <c>databases</c> (a mapping of names to settings), and CloudFormation's <c>Resources</c>, of which
/// <c>AWS::S3::Bucket</c> is provisioned (so public Serverless examples work) and other types are reported as ignored.
/// </summary>
internal sealed class ResourcesReader(ValueReader reader)
{
    public const string BucketType = "AWS::S3::Bucket";
    public const string QueueType = "AWS::SQS::Queue";

    /// <summary>Queues (<c>AWS::SQS::Queue</c>); a dead-letter queue is named by the logical id or ARN written, resolved once all are read.</summary>
    public List<(QueueDeclaration Queue, SourceLocation Location)> Queues { get; } = [];

    public List<(BucketDeclaration Bucket, SourceLocation Location)> Buckets { get; } = [];

    public List<(DatabaseDeclaration Database, SourceLocation Location)> Databases { get; } = [];

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
                        ReadDatabase(database, $"{path}.{database.Key}");
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

        if (type != BucketType)
        {
            reader.Warning(resource.KeyLocation, $"{path}: resource type {NamingRules.Quote(type)} is not provisioned by Ferry (it provisions {BucketType}, {QueueType} and resources.databases); ignored");
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

    private void ReadDatabase(MappingEntry entry, string path)
    {
        if (!NamingRules.IsValidDatabaseName(entry.Key))
        {
            reader.Error(entry.KeyLocation, $"database name {NamingRules.Quote(entry.Key)} is invalid; database names are {NamingRules.DatabaseNameRule}");
            return;
        }

        foreach (var field in entry.Value is ScalarValue { IsNull: true } ? [] : reader.Entries(entry.Value, path, "a mapping with the database's settings, or nothing"))
        {
            reader.Error(field.KeyLocation, $"{path}.{field.Key} is not a database setting; databases have no settings yet (the server decides between SQLite and PostgreSQL)");
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

        Databases.Add((new DatabaseDeclaration(entry.Key), entry.KeyLocation));
    }
}
