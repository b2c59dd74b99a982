using System.Text;
using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// What CloudFormation references in a manifest can point at on Ferry: the app's buckets (by logical id), its
/// functions (<c>{Name}LambdaFunction</c>, as the Serverless Framework names them) and the pseudo parameters.
/// </summary>
/// <param name="Buckets">Every bucket of the app stage; implied ones (from s3 events) have the bucket name as logical name.</param>
/// <param name="ImpliedBuckets">Names of buckets that only an s3 event creates (logical id <c>S3Bucket{Name}</c>).</param>
/// <param name="Functions">The keys under <c>functions:</c>.</param>
/// <param name="CloudFormationTypes">Every resource under <c>resources.Resources</c> and its <c>Type</c>.</param>
internal sealed record IntrinsicScope(
    string Service,
    string Stage,
    string Region,
    IReadOnlyList<BucketDeclaration> Buckets,
    IReadOnlySet<string> ImpliedBuckets,
    IReadOnlyList<string> Functions,
    IReadOnlyDictionary<string, string> CloudFormationTypes,
    IReadOnlyList<TableDeclaration> Tables)
{
    public string StackName => $"{Service}-{Stage}";

    /// <summary>The app's queues (<c>AWS::SQS::Queue</c>).</summary>
    public IReadOnlyList<QueueDeclaration> Queues { get; init; } = [];

    public QueueDeclaration? Queue(string logicalId) => Queues.FirstOrDefault(q => q.LogicalName == logicalId);

    /// <summary>The app's databases (<c>resources.databases</c>, its own and those it uses), by name.</summary>
    public IReadOnlyList<DatabaseDeclaration> Databases { get; init; } = [];

    public DatabaseDeclaration? Database(string name) => Databases.FirstOrDefault(d => d.Name == name);

    /// <summary>The Serverless Framework's logical id of a function: <c>get-user</c> → <c>GetDashuserLambdaFunction</c>.</summary>
    public static string FunctionLogicalId(string function) =>
        Capitalize(function.Replace("-", "Dash", StringComparison.Ordinal).Replace("_", "Underscore", StringComparison.Ordinal)) + "LambdaFunction";

    /// <summary>The Serverless Framework's logical id of a bucket an s3 event creates: <c>my-photos</c> → <c>S3BucketMyphotos</c>.</summary>
    public static string ImpliedBucketLogicalId(string bucket) => "S3Bucket" + Capitalize(new string([.. bucket.Where(char.IsAsciiLetterOrDigit)]));

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    public BucketDeclaration? Bucket(string logicalId) =>
        Buckets.FirstOrDefault(b => !ImpliedBuckets.Contains(b.Name) && b.LogicalName == logicalId)
        ?? Buckets.FirstOrDefault(b => ImpliedBuckets.Contains(b.Name) && ImpliedBucketLogicalId(b.Name) == logicalId);

    public TableDeclaration? Table(string logicalId) => Tables.FirstOrDefault(t => t.LogicalName == logicalId);

    public string TableArn(TableDeclaration table) => $"arn:aws:dynamodb:{Region}:{ManifestDefaults.AccountId}:table/{table.Name}";

    public string? Function(string logicalId) => Functions.FirstOrDefault(f => FunctionLogicalId(f) == logicalId);

    public string FunctionName(string function) => $"{Service}-{Stage}-{function}";

    public string FunctionArn(string function) => $"arn:aws:lambda:{Region}:{ManifestDefaults.AccountId}:function:{FunctionName(function)}";
}

/// <summary>
/// Evaluates CloudFormation intrinsic functions (<c>Ref</c>, <c>Fn::GetAtt</c>, <c>Fn::Join</c>, <c>Fn::Sub</c>) in
/// values Ferry uses, such as <c>environment</c>, when they refer to what Ferry provides; anything else is an error
/// that names the reference and what is supported.
/// </summary>
internal sealed class IntrinsicFunctions(ValueReader reader, IntrinsicScope scope)
{
    private const string Supported = "Ref, Fn::GetAtt, Fn::Join and Fn::Sub";
    private const int MaxDepth = 16;

    /// <summary>True when <paramref name="node"/> is a one-key mapping such as <c>{ Ref: X }</c> or <c>{ Fn::Join: … }</c>.</summary>
    public static bool IsIntrinsic(ValueNode node) =>
        node is MappingValue { Entries: [{ Key: var key }] } && (key is "Ref" or "Condition" || key.StartsWith("Fn::", StringComparison.Ordinal));

    /// <summary>The text <paramref name="node"/> evaluates to, or null after reporting why it can't be evaluated.</summary>
    public string? Evaluate(ValueNode node, string path) => Evaluate(node, path, depth: 0);

    private string? Evaluate(ValueNode node, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            reader.Error(node.Location, $"{path}: intrinsic functions are nested more than {MaxDepth} levels deep");
            return null;
        }

        switch (node)
        {
            case ScalarValue scalar:
                return scalar.IsNull ? "" : scalar.Text;
            case FailedValue:
                return null;
            case MappingValue { Entries: [var only] } when IsIntrinsic(node):
                return only.Key switch
                {
                    "Ref" => Ref(only.Value, path, node.Location),
                    "Fn::GetAtt" => GetAtt(only.Value, path, node.Location),
                    "Fn::Join" => Join(only.Value, path, node.Location, depth),
                    "Fn::Sub" => Sub(only.Value, path, node.Location, depth),
                    _ => Fail(node.Location, $"{path}: {only.Key} is not supported by Ferry; it evaluates {Supported}"),
                };
            default:
                return Fail(node.Location, $"{path} must be a string, number, boolean or one of {Supported}, got {node.Describe()}");
        }
    }

    private string? Ref(ValueNode target, string path, SourceLocation location)
    {
        if (target is not ScalarValue { IsNull: false, Text: var name })
        {
            return target is FailedValue ? null : Fail(target.Location, $"{path}: Ref takes the logical id of a resource, got {target.Describe()}");
        }

        if (Pseudo(name) is { } pseudo)
        {
            return pseudo;
        }

        if (scope.Bucket(name) is { } bucket)
        {
            return bucket.Name;
        }

        if (scope.Function(name) is { } function)
        {
            return scope.FunctionName(function);
        }

        if (scope.Queue(name) is { } queue)
        {
            return queue.Url;
        }

        if (scope.Table(name) is { } table)
        {
            return table.Name;
        }

        return Fail(location, $"{path}: Ref {NamingRules.Quote(name)} can't be resolved: {Unknown(name)}");
    }

    private string? GetAtt(ValueNode target, string path, SourceLocation location)
    {
        string? logicalId = null;
        string? attribute = null;
        switch (target)
        {
            case ScalarValue { IsNull: false, Text: var text } when text.IndexOf('.') is var dot and > 0:
                (logicalId, attribute) = (text[..dot], text[(dot + 1)..]);
                break;
            case SequenceValue { Items: [ScalarValue { IsNull: false } first, ScalarValue { IsNull: false } second] }:
                (logicalId, attribute) = (first.Text, second.Text);
                break;
            case FailedValue:
                return null;
        }

        if (logicalId is null || attribute is null)
        {
            return Fail(target.Location, $"{path}: Fn::GetAtt takes [LogicalId, Attribute] or 'LogicalId.Attribute', got {target.Describe()}");
        }

        if (scope.Bucket(logicalId) is { } bucket)
        {
            return attribute == "Arn"
                ? $"arn:aws:s3:::{bucket.Name}"
                : Fail(location, $"{path}: Fn::GetAtt {logicalId}.{attribute}: Ferry knows the bucket attribute 'Arn' only (use Ref for its name)");
        }

        if (scope.Function(logicalId) is { } function)
        {
            return attribute == "Arn"
                ? scope.FunctionArn(function)
                : Fail(location, $"{path}: Fn::GetAtt {logicalId}.{attribute}: Ferry knows the function attribute 'Arn' only (use Ref for its name)");
        }

        if (scope.Queue(logicalId) is { } queue)
        {
            return attribute switch
            {
                "Arn" => queue.Arn(scope.Region),
                "QueueName" => queue.Name,
                "QueueUrl" => queue.Url,
                _ => Fail(location, $"{path}: Fn::GetAtt {logicalId}.{attribute}: Ferry knows the queue attributes 'Arn', 'QueueName' and 'QueueUrl' (Ref gives the URL)"),
            };
        }

        if (scope.Table(logicalId) is { } table)
        {
            return attribute == "Arn"
                ? scope.TableArn(table)
                : Fail(location, $"{path}: Fn::GetAtt {logicalId}.{attribute}: Ferry knows the table attribute 'Arn' only (tables have no streams on Ferry; use Ref for its name)");
        }

        if (scope.Database(logicalId) is { } database)
        {
            // The URL holds the password with PostgreSQL: the manifest keeps a reference the server fills in per instance.
            return attribute == "Url"
                ? database.UrlReference
                : Fail(location, $"{path}: Fn::GetAtt {logicalId}.{attribute}: Ferry knows the database attribute 'Url' only");
        }

        return Fail(location, $"{path}: Fn::GetAtt {logicalId}.{attribute} can't be resolved: {Unknown(logicalId)}");
    }

    private string? Join(ValueNode arguments, string path, SourceLocation location, int depth)
    {
        if (arguments is not SequenceValue { Items: [ScalarValue separator, SequenceValue items] })
        {
            return arguments is FailedValue ? null : Fail(location, $"{path}: Fn::Join takes [separator, [values…]], got {arguments.Describe()}");
        }

        var parts = new List<string>();
        foreach (var item in items.Items)
        {
            if (Evaluate(item, path, depth + 1) is not { } part)
            {
                return null;
            }

            parts.Add(part);
        }

        return string.Join(separator.IsNull ? "" : separator.Text, parts);
    }

    /// <summary><c>Fn::Sub</c>: <c>${Name}</c>, <c>${Name.Attribute}</c> and <c>${AWS::Region}</c> replaced; <c>${!Text}</c> stays <c>${Text}</c>.</summary>
    private string? Sub(ValueNode arguments, string path, SourceLocation location, int depth)
    {
        ValueNode template = arguments;
        IReadOnlyList<MappingEntry> variables = [];
        if (arguments is SequenceValue { Items: [var text, MappingValue values] })
        {
            template = text;
            variables = values.Entries;
        }

        if (template is not ScalarValue { IsNull: false, Text: var pattern })
        {
            return template is FailedValue ? null : Fail(location, $"{path}: Fn::Sub takes a string or [string, {{ Name: value }}], got {arguments.Describe()}");
        }

        var result = new StringBuilder();
        var position = 0;
        while (pattern.IndexOf("${", position, StringComparison.Ordinal) is var start and >= 0)
        {
            var end = pattern.IndexOf('}', start + 2);
            if (end < 0)
            {
                break;
            }

            result.Append(pattern, position, start - position);
            var name = pattern[(start + 2)..end];
            position = end + 1;
            if (name.StartsWith('!'))
            {
                result.Append("${").Append(name, 1, name.Length - 1).Append('}');
                continue;
            }

            string? value;
            if (variables.FirstOrDefault(v => v.Key == name) is { } variable)
            {
                value = Evaluate(variable.Value, path, depth + 1);
            }
            else if (Pseudo(name) is { } pseudo)
            {
                value = pseudo;
            }
            else if (name.IndexOf('.') is var dot and > 0)
            {
                value = GetAtt(new ScalarValue(name, IsNull: false, location), path, location);
            }
            else
            {
                value = Ref(new ScalarValue(name, IsNull: false, location), path, location);
            }

            if (value is null)
            {
                return null;
            }

            result.Append(value);
        }

        return result.Append(pattern, position, pattern.Length - position).ToString();
    }

    private string? Pseudo(string name) => name switch
    {
        "AWS::Region" => scope.Region,
        "AWS::AccountId" => ManifestDefaults.AccountId,
        "AWS::StackName" => scope.StackName,
        "AWS::Partition" => "aws",
        "AWS::URLSuffix" => "amazonaws.com",
        _ => null,
    };

    /// <summary>Why <paramref name="logicalId"/> has no value on Ferry, and what does.</summary>
    private string Unknown(string logicalId)
    {
        var provided = "Ferry resolves references to its buckets (AWS::S3::Bucket, resources.buckets), tables (AWS::DynamoDB::Table), queues (AWS::SQS::Queue), databases (resources.databases, GetAtt NAME.Url), functions ("
            + (scope.Functions.Count > 0 ? string.Join(", ", scope.Functions.Take(3).Select(IntrinsicScope.FunctionLogicalId)) : "{Name}LambdaFunction")
            + ") and to AWS::Region, AWS::AccountId and AWS::StackName";
        if (logicalId.StartsWith("AWS::", StringComparison.Ordinal))
        {
            return $"the pseudo parameter is not available on Ferry; {provided}";
        }

        return scope.CloudFormationTypes.TryGetValue(logicalId, out var type)
            ? $"resources.Resources.{logicalId} is an {type}, which Ferry does not provide; {provided}"
            : $"there is no resource {NamingRules.Quote(logicalId)} in resources.Resources; {provided}";
    }

    private string? Fail(SourceLocation location, string message)
    {
        reader.Error(location, message);
        return null;
    }
}
