namespace Ferry.Manifest;

/// <summary>The names a service manifest goes by in an app folder, as the Serverless Framework looks for them.</summary>
public static class ManifestFiles
{
    /// <summary>In the order they are described in messages; an app folder may hold only one of them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["serverless.yml", "serverless.yaml", "serverless.json"];

    /// <summary>The one that is written when none exists.</summary>
    public static string Default => Names[0];

    /// <summary>"serverless.yml, serverless.yaml or serverless.json", for messages.</summary>
    public static string Described => $"{string.Join(", ", Names.Take(Names.Count - 1))} or {Names[^1]}";

    /// <summary>
    /// The manifests in <paramref name="appDirectory"/>: none, one (the usual case), or several, which is a mistake
    /// the caller reports because it can't know which one is meant.
    /// </summary>
    public static IReadOnlyList<string> FindIn(string appDirectory)
    {
        ArgumentNullException.ThrowIfNull(appDirectory);
        return [.. Names.Select(name => Path.Combine(appDirectory, name)).Where(File.Exists)];
    }
}
