namespace Ferry.Packaging.Frameworks;

/// <summary>
/// One command a preset runs in the app folder before packaging, e.g. <c>npm ci</c>. It is skipped while
/// <see cref="Output"/> exists and the hash of <see cref="Inputs"/> is the one recorded after its last success.
/// </summary>
/// <param name="Name">Shown in progress lines and used as its cache key, e.g. <c>npm ci</c>.</param>
/// <param name="Command">argv; the program is looked up on PATH.</param>
/// <param name="Inputs">What decides whether it must run again (a lock file, or the app's sources).</param>
/// <param name="Output">App-relative folder the step makes (<c>node_modules</c>, <c>.next</c>); the step runs again when it is missing.</param>
public sealed record BuildStep(string Name, IReadOnlyList<string> Command, BuildInputs Inputs, string Output)
{
    /// <summary>What to tell the user when <see cref="Command"/>'s program is not installed.</summary>
    public string? MissingToolHint { get; init; }

    /// <summary>Run only when <see cref="Output"/> is missing, whatever the inputs (<c>composer install</c> with a vendor/ folder).</summary>
    public bool OnlyWhenOutputMissing { get; init; }

    /// <summary>
    /// Runs instead when <see cref="Command"/>'s program is not installed or fails (a warning says why), e.g. Ferry's
    /// own vendor/autoload.php for Debian's Laravel when composer can't reach Packagist. What the failed command left
    /// of a missing <see cref="Output"/> is removed first.
    /// </summary>
    public BuildStep? Fallback { get; init; }

    /// <summary>Work Ferry does itself instead of running <see cref="Command"/> (which is then empty).</summary>
    public Func<ProjectFiles, IProgress<BuildProgress>, CancellationToken, Task>? Action { get; init; }

    /// <summary>
    /// Files of Ferry's own the command loads (Next.js's deployment adapter), by name: written into the app's
    /// <c>.ferry/</c> folder (never packaged) before it runs, where the build sandbox sees them. Part of the step's cache key.
    /// </summary>
    public IReadOnlyDictionary<string, string> SupportFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Variables the command gets besides the build's own. <c>{ferry}</c> in a value stands for the absolute path of the
    /// app's <c>.ferry/</c> folder, where <see cref="SupportFiles"/> are. Part of the step's cache key.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The placeholder in <see cref="Environment"/> values for the app's <c>.ferry/</c> folder.</summary>
    public const string SupportFolderPlaceholder = "{ferry}";

    /// <summary>What besides its inputs decides the step's output: its variables and support files ("" without either).</summary>
    internal string Fingerprint()
    {
        var text = new System.Text.StringBuilder();
        foreach (var (name, value) in Environment.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('=').Append(value).Append('\n');
        }

        foreach (var (name, content) in SupportFiles.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('\0').Append(content).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>What a build step depends on: the named files (a lock file), or every source file of the app.</summary>
public sealed record BuildInputs
{
    private BuildInputs(IReadOnlyList<string> files, bool allSources)
    {
        Files = files;
        AllSources = allSources;
    }

    /// <summary>App-relative files whose contents decide (empty with <see cref="AllSources"/>).</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The app's files except dependencies, build outputs and tool state.</summary>
    public bool AllSources { get; }

    public static BuildInputs Of(params string[] files) => new(files, allSources: false);

    public static BuildInputs Sources { get; } = new([], allSources: true);

    public override string ToString() => AllSources ? "the app's sources" : string.Join(", ", Files);
}
