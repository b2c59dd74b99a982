namespace Ferry.Hub;

/// <summary>
/// <c>template.json</c>, the signed description of a template package: the definition (including its
/// <c>closedSource</c> functions), the hash of <c>app.zip</c>, and every file of the app with its SHA-256.
/// </summary>
public sealed record TemplateDocument
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required TemplateDefinition Template { get; init; }

    public required PackagedArchive AppArchive { get; init; }

    /// <summary>The files of <c>app.zip</c> in archive order.</summary>
    public required IReadOnlyList<PackagedFile> Files { get; init; }
}

/// <summary>The SHA-256 (lowercase hex) and size in bytes of <c>app.zip</c>.</summary>
public sealed record PackagedArchive(string Sha256, long Size);

/// <summary>
/// A file (or symlink) of the app. <see cref="ClosedSource"/> files hold a closed-source function's compiled code:
/// their contents must never be offered for download or display.
/// </summary>
public sealed record PackagedFile(string Path, string Sha256, long Size, bool ClosedSource);
