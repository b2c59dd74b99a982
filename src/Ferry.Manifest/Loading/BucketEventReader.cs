using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads an <c>s3</c> event in the Serverless forms: <c>s3: photos</c> (objects created in bucket <c>photos</c>), or a
/// mapping with <c>bucket</c>, <c>event</c> (default <c>s3:ObjectCreated:*</c>), <c>rules</c> (a list of
/// <c>prefix</c>/<c>suffix</c> items) and <c>existing</c> (the bucket is declared elsewhere, so this event does not
/// create it).
/// </summary>
internal sealed class BucketEventReader(ValueReader reader)
{
    public const string DefaultEvent = "s3:ObjectCreated:*";

    private static readonly string[] EventTypes =
    [
        "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    ];

    /// <returns>The event and whether its bucket is declared elsewhere; null after errors.</returns>
    public (BucketEvent Event, bool Existing)? Read(ValueNode value, string path)
    {
        if (value is ScalarValue { IsNull: false } scalar)
        {
            return BucketName(scalar, path) is { } name ? (new BucketEvent(name, DefaultEvent), false) : null;
        }

        if (value is FailedValue)
        {
            return null;
        }

        if (value is not MappingValue mapping)
        {
            reader.Error(value.Location, $"{path} must be a bucket name or a mapping with 'bucket', got {value.Describe()}");
            return null;
        }

        string? bucket = null;
        var eventType = DefaultEvent;
        string? prefix = null;
        string? suffix = null;
        var existing = false;
        var errorsBefore = reader.Diagnostics.ErrorCount;
        foreach (var entry in mapping.Entries)
        {
            var entryPath = $"{path}.{entry.Key}";
            switch (entry.Key)
            {
                case "bucket":
                    bucket = entry.Value is ScalarValue { IsNull: false } name ? BucketName(name, entryPath) : Invalid(entry, entryPath, "a bucket name");
                    break;
                case "event":
                    var text = reader.String(entry.Value, entryPath);
                    if (text is not null && !EventTypes.Contains(text, StringComparer.Ordinal))
                    {
                        reader.Error(entry.Value.Location, $"{entryPath} {NamingRules.Quote(text)} is not an S3 event type Ferry sends; use one of {string.Join(", ", EventTypes)}");
                    }

                    eventType = text ?? eventType;
                    break;
                case "rules":
                    foreach (var rule in reader.Items(entry.Value, entryPath).Select((item, i) => (item, i)))
                    {
                        ReadRule(rule.item, $"{entryPath}[{rule.i}]", ref prefix, ref suffix);
                    }

                    break;
                case "existing":
                    existing = entry.Value is ScalarValue { Text: "true" or "True" or "TRUE" };
                    if (entry.Value is not ScalarValue { Text: "true" or "True" or "TRUE" or "false" or "False" or "FALSE" })
                    {
                        reader.Error(entry.Value.Location, $"{entryPath} must be true or false, got {entry.Value.Describe()}");
                    }

                    break;
                case "forceDeploy":
                    break;
                default:
                    reader.IgnoredKey(entry, entryPath, KnownKeys.BucketEvent);
                    break;
            }
        }

        if (bucket is null && reader.Diagnostics.ErrorCount == errorsBefore)
        {
            reader.Error(mapping.Location, $"{path} needs 'bucket': the name of the bucket whose objects trigger the function");
        }

        return bucket is null || reader.Diagnostics.ErrorCount > errorsBefore ? null : (new BucketEvent(bucket, eventType, prefix, suffix), existing);
    }

    private void ReadRule(ValueNode item, string path, ref string? prefix, ref string? suffix)
    {
        foreach (var field in reader.Entries(item, path, "a mapping with 'prefix' or 'suffix'"))
        {
            var fieldPath = $"{path}.{field.Key}";
            var text = reader.String(field.Value, fieldPath);
            switch (field.Key)
            {
                case "prefix" when prefix is not null:
                case "suffix" when suffix is not null:
                    reader.Error(field.KeyLocation, $"{fieldPath}: only one {field.Key} rule is allowed per s3 event (S3 allows one of each)");
                    break;
                case "prefix":
                    prefix = text;
                    break;
                case "suffix":
                    suffix = text;
                    break;
                default:
                    reader.Error(field.KeyLocation, $"{fieldPath} is not a rule; rules are 'prefix' and 'suffix'");
                    break;
            }
        }
    }

    private string? BucketName(ScalarValue value, string path)
    {
        if (!NamingRules.IsValidBucketName(value.Text))
        {
            reader.Error(value.Location, $"{path} {NamingRules.Quote(value.Text)} is not a valid bucket name; bucket names are {NamingRules.BucketNameRule}");
            return null;
        }

        return value.Text;
    }

    private string? Invalid(MappingEntry entry, string path, string expected)
    {
        if (entry.Value is not FailedValue)
        {
            reader.Error(entry.Value.Location, $"{path} must be {expected}, got {entry.Value.Describe()}");
        }

        return null;
    }
}
