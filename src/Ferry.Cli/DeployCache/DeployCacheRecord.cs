using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Server.Api;

namespace Ferry.Cli.DeployCache;

/// <summary>
/// Which deploy a cache record belongs to: the same app folder and manifest deployed with the same --stage/--region
/// to the same server as the same caller. The token itself is never stored, only a digest naming it.
/// </summary>
internal sealed record DeployCacheKey(string ServerUrl, string Identity, string AppDirectory, string ConfigPath, string? Stage, string? Region)
{
    public static DeployCacheKey For(Uri serverUrl, string? token, string appDirectory, string configPath, string? stage, string? region)
        => new(
            serverUrl.AbsoluteUri.TrimEnd('/'),
            string.IsNullOrEmpty(token) ? "anonymous" : "token-sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..32],
            Path.TrimEndingDirectorySeparator(appDirectory),
            configPath,
            stage,
            region);

    /// <summary>The record's file name: a digest of the key, so any folder path fits.</summary>
    public string FileName
    {
        get
        {
            var text = string.Join('\n', ServerUrl, Identity, AppDirectory, ConfigPath, Stage ?? "\0", Region ?? "\0");
            return Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(text))) + ".json";
        }
    }
}

/// <summary>One successful deploy, as the deploy cache keeps it: what it read and what the server made of it.</summary>
internal sealed record DeployCacheRecord
{
    /// <summary>Records of another format are ignored (a full deploy writes a new one).</summary>
    public const int CurrentFormat = 2;

    public int Format { get; init; } = CurrentFormat;

    public required DeployCacheKey Key { get; init; }

    public required DeployInputs Inputs { get; init; }

    /// <summary>The app stage the deploy went to (the manifest's service, stage and region).</summary>
    public required string Service { get; init; }

    public required string Stage { get; init; }

    public required string Region { get; init; }

    public required int Revision { get; init; }

    public required string PackageSha256 { get; init; }

    public required string ManifestSha256 { get; init; }

    public required DateTimeOffset DeployedAt { get; init; }

    /// <summary>A recent file's path stays inside the app folder (a hand-edited record must not make the CLI read elsewhere).</summary>
    private static bool ArchivePathIsRelative(string path)
        => !Path.IsPathRooted(path) && !path.Split('/').Any(segment => segment is ".." or "");

    public UnchangedDeploymentQuery Query => new(Service, Stage, Region, PackageSha256, ManifestSha256);

    /// <summary>True when every field a lookup needs is there (a hand-edited or truncated record may lack some).</summary>
    public bool IsComplete => Format == CurrentFormat
        && Key is not null && Inputs is { CliBuild: not null, Parameters: not null, Config: not null, Files: not null, Environment: not null, FolderPatterns: not null, Folder: not null, RecentFiles: not null }
        && Inputs.Files.All(f => f is { Path: not null }) && Inputs.Environment.All(e => e is { Name: not null })
        && Inputs.FolderPatterns.All(p => p is not null) && Inputs.RecentFiles.All(f => f is { Path: not null })
        && Inputs.RecentFiles.All(f => ArchivePathIsRelative(f.Path))
        && !string.IsNullOrEmpty(Service) && !string.IsNullOrEmpty(Stage) && !string.IsNullOrEmpty(Region)
        && PackageSha256 is { Length: 64 } && ManifestSha256 is { Length: 64 };
}

/// <summary>
/// Source-generated JSON for what an unchanged <c>ferry deploy</c> reads and sends (cache record, the question, the
/// answer): no reflection-based serializer has to warm up on that path.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeployCacheRecord))]
[JsonSerializable(typeof(UnchangedDeploymentQuery))]
[JsonSerializable(typeof(DeploymentResult))]
internal sealed partial class DeployJsonContext : JsonSerializerContext;
