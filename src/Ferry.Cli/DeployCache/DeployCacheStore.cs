using System.Text.Json;

namespace Ferry.Cli.DeployCache;

/// <summary>
/// The deploy cache's records: one JSON file per <see cref="DeployCacheKey"/> under
/// <c>$XDG_CACHE_HOME/ferry/deploys</c> (default <c>~/.cache/ferry/deploys</c>), readable only by the user.
/// <c>FERRY_DEPLOY_CACHE=off</c> turns the cache off.
/// </summary>
internal sealed class DeployCacheStore(string directory)
{
    public const string SwitchVariable = "FERRY_DEPLOY_CACHE";

    public string Directory { get; } = directory;

    /// <summary>The store the environment names; null when the cache is off or there is no home folder to put it in.</summary>
    public static DeployCacheStore? For(CliContext context)
    {
        if (context.Environment(SwitchVariable) is { } setting
            && (setting.Equals("off", StringComparison.OrdinalIgnoreCase) || setting == "0" || setting.Equals("false", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var cacheHome = context.Environment("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : context.Environment("HOME") is { Length: > 0 } home && Path.IsPathRooted(home) ? Path.Combine(home, ".cache") : null;
        return cacheHome is null ? null : new DeployCacheStore(Path.Combine(cacheHome, "ferry", "deploys"));
    }

    public string PathOf(DeployCacheKey key) => Path.Combine(Directory, key.FileName);

    /// <summary>
    /// The record of <paramref name="key"/>; null when there is none. A record that can't be read or is not a whole
    /// record of this key is ignored, with <paramref name="problem"/> saying why (the deploy then runs in full and
    /// writes a good one).
    /// </summary>
    public DeployCacheRecord? TryLoad(DeployCacheKey key, out string? problem)
    {
        problem = null;
        var path = PathOf(key);
        try
        {
            // One read and the span overload: the stream overload's buffering machinery is JIT work a fresh process pays.
            var record = JsonSerializer.Deserialize(File.ReadAllBytes(path), DeployJsonContext.Default.DeployCacheRecord);
            if (record is null || !record.IsComplete)
            {
                problem = $"{path} is not a complete deploy record";
                return null;
            }

            if (record.Key != key)
            {
                problem = $"{path} belongs to another deploy";
                return null;
            }

            return record;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException or InvalidOperationException)
        {
            problem = $"{path} can't be read: {e.Message}";
            return null;
        }
    }

    /// <summary>Writes the record (atomically: a reader sees the old one or the new one); false with <paramref name="problem"/> when it can't.</summary>
    public bool TrySave(DeployCacheRecord record, out string? problem)
    {
        problem = null;
        var path = PathOf(record.Key);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                JsonSerializer.Serialize(stream, record, DeployJsonContext.Default.DeployCacheRecord);
            }

            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{path} can't be written: {e.Message}";
            TryDelete(temporary);
            return false;
        }
    }

    /// <summary>Forgets the record of <paramref name="key"/> (after the server said the app changed elsewhere).</summary>
    public void Forget(DeployCacheKey key) => TryDelete(PathOf(key));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next write to replace.
        }
    }
}
