using System.Globalization;
using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads typed values out of resolved YAML and reports what was expected when a value doesn't fit.
/// A <see cref="FailedValue"/> was already reported, so it is skipped without a second error.
/// </summary>
internal sealed class ValueReader(DiagnosticBag diagnostics)
{
    public DiagnosticBag Diagnostics => diagnostics;

    /// <summary>Evaluates CloudFormation intrinsics in <c>environment</c> values; null while the resources are not known yet.</summary>
    public IntrinsicFunctions? Intrinsics { get; set; }

    public void Error(SourceLocation location, string message) => diagnostics.Error(location, message);

    public void Warning(SourceLocation location, string message) => diagnostics.Warning(location, message);

    /// <summary>A non-null scalar's text; null (and an error for mappings/lists) otherwise.</summary>
    public string? String(ValueNode node, string path) => node switch
    {
        ScalarValue { IsNull: true } => null,
        ScalarValue scalar => scalar.Text,
        FailedValue => null,
        _ => Invalid<string>(node, $"{path} must be a string, got {node.Describe()}"),
    };

    /// <summary>A whole number in range, or null after an error; <paramref name="rule"/> completes "must be …".</summary>
    public int? Integer(ValueNode node, string path, string rule, Func<int, bool> isValid)
    {
        if (node is FailedValue)
        {
            return null;
        }

        if (node is ScalarValue { IsNull: false } scalar
            && int.TryParse(scalar.Text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && isValid(value))
        {
            return value;
        }

        Error(node.Location, $"{path} must be {rule}, got {node.Describe()}");
        return null;
    }

    /// <summary>The entries of a mapping; an empty list for null, and an error for anything else.</summary>
    public IReadOnlyList<MappingEntry> Entries(ValueNode node, string path, string expected = "a mapping") => node switch
    {
        MappingValue mapping => mapping.Entries,
        ScalarValue { IsNull: true } or FailedValue => [],
        _ => Invalid<IReadOnlyList<MappingEntry>>(node, $"{path} must be {expected}, got {node.Describe()}") ?? [],
    };

    /// <summary>The items of a list; an empty list for null, and an error for anything else.</summary>
    public IReadOnlyList<ValueNode> Items(ValueNode node, string path) => node switch
    {
        SequenceValue sequence => sequence.Items,
        ScalarValue { IsNull: true } or FailedValue => [],
        _ => Invalid<IReadOnlyList<ValueNode>>(node, $"{path} must be a list, got {node.Describe()}") ?? [],
    };

    /// <summary>An <c>environment</c> mapping: variable names to scalars (numbers and booleans as written).</summary>
    public Dictionary<string, string> Environment(ValueNode node, string path)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Entries(node, path, "a mapping of variable names to values"))
        {
            var entryPath = $"{path}.{entry.Key}";
            if (!NamingRules.IsValidEnvironmentName(entry.Key))
            {
                Error(entry.KeyLocation, $"{entryPath}: environment variable names must be {NamingRules.EnvironmentNameRule}");
                continue;
            }

            switch (entry.Value)
            {
                case ScalarValue scalar:
                    environment[entry.Key] = scalar.IsNull ? "" : scalar.Text;
                    break;
                case FailedValue:
                    break;
                case var intrinsic when IntrinsicFunctions.IsIntrinsic(intrinsic):
                    if (Intrinsics?.Evaluate(intrinsic, entryPath) is { } evaluated)
                    {
                        environment[entry.Key] = evaluated;
                    }

                    break;
                default:
                    Error(entry.Value.Location, $"{entryPath} must be a string, number, boolean or a CloudFormation Ref, Fn::GetAtt, Fn::Join or Fn::Sub, got {entry.Value.Describe()}");
                    break;
            }
        }

        return environment;
    }

    /// <summary>A list of strings, such as <c>package.patterns</c>.</summary>
    public List<string> Strings(ValueNode node, string path)
    {
        var strings = new List<string>();
        var items = Items(node, path);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is ScalarValue { IsNull: false } scalar)
            {
                strings.Add(scalar.Text);
            }
            else if (items[i] is not FailedValue)
            {
                Error(items[i].Location, $"{path}[{i}] must be a string, got {items[i].Describe()}");
            }
        }

        return strings;
    }

    /// <summary>Warns about a key the reader didn't handle, unless it is a known Serverless key Ferry ignores quietly.</summary>
    public void IgnoredKey(MappingEntry entry, string path, KnownKeys known) => IgnoredKey(entry.Key, entry.KeyLocation, path, known);

    public void IgnoredKey(string key, SourceLocation keyLocation, string path, KnownKeys known)
    {
        if (known.IsQuiet(key))
        {
            return;
        }

        Warning(keyLocation, known.IsUnused(key)
            ? $"'{path}' is not used by Ferry; ignored"
            : $"unknown key '{path}' is ignored");
    }

    private T? Invalid<T>(ValueNode node, string message)
        where T : class
    {
        Error(node.Location, message);
        return null;
    }
}
