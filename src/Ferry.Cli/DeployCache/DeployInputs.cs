using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Ferry.Packaging;

namespace Ferry.Cli.DeployCache;

/// <summary>
/// Everything a <c>ferry deploy</c> read, as digests: when a later deploy reads the same, it would make the same
/// package and manifest. Values of environment variables are kept as SHA-256 digests only, never in clear.
/// </summary>
/// <param name="CliBuild">The module version ids of the CLI's own assemblies that shape a deploy (a rebuilt CLI may package differently).</param>
/// <param name="Parameters">Digest of the <c>--param</c> values.</param>
/// <param name="Config">Digest of the manifest file's bytes.</param>
/// <param name="Files">The files <c>${file(…)}</c> read, by full path, with the digest of their bytes (null: the file was missing).</param>
/// <param name="Environment">The environment variables the deploy read, with the SHA-256 of their value (null: unset).</param>
/// <param name="FolderPatterns">The package patterns the app folder is listed with (the package's own, or everything but .git after a build).</param>
/// <param name="Folder">Digest of the listed files' paths, sizes, modification times, permissions and link targets.</param>
/// <param name="FolderFiles">How many files were listed (for messages).</param>
/// <param name="RecentFiles">
/// Listed files modified within <see cref="RecentWindow"/> before the snapshot, by relative path, with the digest of
/// their bytes: a later edit in the same clock tick, with the same size, would leave their listing unchanged (git's
/// "racily clean" files), so their content is compared as well.
/// </param>
internal sealed record DeployInputs(
    string CliBuild,
    string Parameters,
    string Config,
    IReadOnlyList<FileInput> Files,
    IReadOnlyList<EnvironmentInput> Environment,
    IReadOnlyList<string> FolderPatterns,
    string Folder,
    int FolderFiles,
    IReadOnlyList<FileInput> RecentFiles)
{
    /// <summary>Generous next to file systems' timestamp granularity (a kernel tick; 1–2 s on some).</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(2);

    /// <summary>More recently modified files than this, and no record is written (hashing them all would cost more than it saves).</summary>
    public const int MaxRecentFiles = 256;

    /// <summary>
    /// Environment variables a framework build reads on its own (public build-time settings), watched after a deploy
    /// that built: the build inherits the whole environment, but these are the ones that end up in its output.
    /// </summary>
    public static readonly IReadOnlyList<string> BuildVariablePrefixes =
        ["NEXT_PUBLIC_", "VITE_", "REACT_APP_", "NUXT_", "PUBLIC_", "GATSBY_", "EXPO_PUBLIC_", "ASTRO_"];

    /// <summary>Variables a build reads whatever their prefix.</summary>
    public static readonly IReadOnlyList<string> BuildVariables = ["NODE_ENV", "BABEL_ENV"];

    /// <summary>Package patterns that list every file of the folder but version control: used after a build ran.</summary>
    public static readonly IReadOnlyList<string> WholeFolder = ["**", "!.git/**"];

    /// <summary>The first difference from <paramref name="earlier"/>, in words; null when they are the same.</summary>
    public string? DifferenceFrom(DeployInputs earlier)
    {
        if (CliBuild != earlier.CliBuild)
        {
            return "the ferry CLI was rebuilt";
        }

        if (Parameters != earlier.Parameters)
        {
            return "the --param values differ";
        }

        if (Config != earlier.Config)
        {
            return "the manifest file changed";
        }

        if (!Files.SequenceEqual(earlier.Files))
        {
            return "a file ${file(…)} reads changed";
        }

        if (!Environment.SequenceEqual(earlier.Environment))
        {
            return "an environment variable the deploy read changed";
        }

        if (!FolderPatterns.SequenceEqual(earlier.FolderPatterns, StringComparer.Ordinal) || Folder != earlier.Folder
            || !RecentFiles.SequenceEqual(earlier.RecentFiles))
        {
            return "files in the app folder changed";
        }

        return null;
    }

    /// <summary>
    /// Reads the inputs: the manifest, <paramref name="files"/>, <paramref name="variables"/> and the folder's listing
    /// with <paramref name="folderPatterns"/>. <paramref name="recentFiles"/> are the folder files whose content is
    /// compared too (a record's <see cref="RecentFiles"/>); null picks those modified within <see cref="RecentWindow"/>
    /// (taking a new record), and the result is null when there are more than <see cref="MaxRecentFiles"/>.
    /// </summary>
    /// <exception cref="IOException">A file or the folder can't be read.</exception>
    /// <exception cref="ArchiveException">The folder can't be packaged (e.g. a symlink out of it).</exception>
    public static DeployInputs? Take(
        string appDirectory, string configPath, IReadOnlyDictionary<string, string> parameters,
        IEnumerable<string> files, IEnumerable<string> variables, Func<string, string?> environment,
        IReadOnlyList<string> folderPatterns, IEnumerable<string>? recentFiles, CancellationToken cancellationToken)
    {
        var listing = AppArchive.ListFiles(appDirectory, folderPatterns, cancellationToken);
        var since = DateTime.UtcNow - RecentWindow;
        var recent = (recentFiles ?? listing.Where(f => f.LinkTarget is null && f.LastWriteTimeUtc >= since).Select(f => f.RelativePath)).ToList();
        if (recentFiles is null && recent.Count > MaxRecentFiles)
        {
            return null;
        }

        return new DeployInputs(
            CliBuild: CurrentCliBuild,
            Parameters: DigestOf(parameters),
            Config: DigestOfFile(configPath) ?? throw new FileNotFoundException($"{configPath} does not exist", configPath),
            Files: [.. files.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(path => new FileInput(path, DigestOfFile(path)))],
            Environment: [.. variables.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(name => new EnvironmentInput(name, environment(name) is { } value ? Sha256Hex(value) : null))],
            FolderPatterns: folderPatterns,
            Folder: DigestOf(listing),
            FolderFiles: listing.Count,
            RecentFiles: [.. recent.Select(path => new FileInput(path, DigestOfFile(Path.Combine(appDirectory, path))))]);
    }

    /// <summary>The assemblies whose code decides what a deploy sends: the CLI, manifest loading and packaging.</summary>
    public static string CurrentCliBuild { get; } = string.Join(',',
        new[] { typeof(DeployInputs), typeof(Manifest.ServiceManifest), typeof(AppArchive), typeof(Server.Api.DeploymentResult) }
            .Select(type => type.Assembly.ManifestModule.ModuleVersionId.ToString("N")));

    public static string DigestOf(IReadOnlyDictionary<string, string> parameters)
    {
        var hash = new XxHash128();
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Append(hash, name);
            Append(hash, value);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    public static string DigestOf(IReadOnlyList<PackageSourceFile> listing)
    {
        var hash = new XxHash128();
        Span<byte> number = stackalloc byte[8];
        foreach (var file in listing)
        {
            Append(hash, file.RelativePath);
            BitConverter.TryWriteBytes(number, file.Length);
            hash.Append(number);
            BitConverter.TryWriteBytes(number, file.LastWriteTimeUtc.Ticks);
            hash.Append(number);
            BitConverter.TryWriteBytes(number, (long)file.Permissions);
            hash.Append(number);
            Append(hash, file.LinkTarget ?? "");
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>XxHash128 of the file's bytes; null when there is no such file.</summary>
    public static string? DigestOfFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var hash = new XxHash128();
            hash.Append(stream);
            return Convert.ToHexStringLower(hash.GetCurrentHash());
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.</summary>
    private static void Append(XxHash128 hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BitConverter.TryWriteBytes(length, bytes.Length);
        hash.Append(length);
        hash.Append(bytes);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{FolderFiles} files, {Files.Count} referenced files, {Environment.Count} variables");
}

/// <summary>A file a manifest read with <c>${file(…)}</c>; <paramref name="Digest"/> null when it was missing.</summary>
internal sealed record FileInput(string Path, string? Digest);

/// <summary>An environment variable a deploy read; <paramref name="Sha256"/> of its value, null when unset.</summary>
internal sealed record EnvironmentInput(string Name, string? Sha256);
