namespace Ferry.Packaging;

/// <summary>
/// Decides which files of a service directory go into its archive, following Serverless <c>package.patterns</c>:
/// every file is included to begin with, then each pattern is applied in order and the last one that matches a
/// file wins. A pattern includes; with a leading <c>!</c> it excludes. <see cref="DefaultExcludes"/> come before
/// the service's own patterns, so a service can re-include what they exclude. See <see cref="GlobPattern"/> for
/// the glob syntax.
/// </summary>
public sealed class PackagePatternSet
{
    /// <summary>Applied before the service's patterns: version control, tool state and OS clutter.</summary>
    public static IReadOnlyList<string> DefaultExcludes { get; } =
    [
        "!.git/**",
        "!.serverless/**",
        "!.ferry/**",
        "!**/__pycache__/**",
        "!**/.DS_Store",
    ];

    private readonly IReadOnlyList<(GlobPattern Glob, bool Include)> _rules;

    private PackagePatternSet(IReadOnlyList<(GlobPattern Glob, bool Include)> rules) => _rules = rules;

    /// <summary>The default excludes followed by <paramref name="patterns"/>.</summary>
    public static PackagePatternSet Create(IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var rules = new List<(GlobPattern, bool)>(DefaultExcludes.Count + patterns.Count);
        foreach (var pattern in DefaultExcludes.Concat(patterns))
        {
            var exclude = pattern.StartsWith('!');
            var glob = exclude ? pattern[1..] : pattern;
            if (glob.Length == 0)
            {
                throw new ArgumentException($"The package pattern '{pattern}' has no glob.", nameof(patterns));
            }

            rules.Add((GlobPattern.Parse(glob), !exclude));
        }

        return new PackagePatternSet(rules);
    }

    /// <summary>True when the file at <paramref name="relativePath"/> ('/'-separated) belongs in the archive.</summary>
    public bool Includes(string relativePath)
    {
        var included = true;
        foreach (var (glob, include) in _rules)
        {
            if (glob.IsMatch(relativePath))
            {
                included = include;
            }
        }

        return included;
    }
}
