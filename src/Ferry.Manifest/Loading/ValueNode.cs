namespace Ferry.Manifest.Loading;

/// <summary>
/// A YAML value after variable resolution. Every node keeps the place in the file it came from; a value produced
/// by a variable keeps the place where the variable was written.
/// </summary>
internal abstract record ValueNode(SourceLocation Location);

internal sealed record ScalarValue(string Text, bool IsNull, SourceLocation Location) : ValueNode(Location);

internal sealed record MappingEntry(string Key, SourceLocation KeyLocation, ValueNode Value);

internal sealed record MappingValue(IReadOnlyList<MappingEntry> Entries, SourceLocation Location) : ValueNode(Location);

internal sealed record SequenceValue(IReadOnlyList<ValueNode> Items, SourceLocation Location) : ValueNode(Location);

/// <summary>A value that could not be resolved; the error is already reported, so readers skip it silently.</summary>
internal sealed record FailedValue(SourceLocation Location) : ValueNode(Location);

internal static class ValueNodeDescriptions
{
    /// <summary>"a mapping", "a list", … for messages like "must be a string, got a list".</summary>
    public static string Describe(this ValueNode node) => node switch
    {
        ScalarValue { IsNull: true } => "nothing (null)",
        ScalarValue scalar => Rules.NamingRules.Quote(scalar.Text),
        MappingValue => "a mapping",
        SequenceValue => "a list",
        _ => "an invalid value",
    };
}
