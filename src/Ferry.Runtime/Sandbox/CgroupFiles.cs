using System.Globalization;

namespace Ferry.Runtime.Sandbox;

/// <summary>Reads and writes cgroup control files, reporting failures instead of throwing.</summary>
internal static class CgroupFiles
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/>; returns the reason when the kernel refuses.</summary>
    public static string? TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"writing '{value}' to {path} failed: {ex.Message}";
        }
    }

    public static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static long? TryReadInt64(string path) =>
        long.TryParse(TryRead(path)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The pids listed in a cgroup.procs file (empty when the cgroup is gone).</summary>
    public static IReadOnlyList<int> ReadPids(string procsFile) =>
        (TryRead(procsFile) ?? "")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .ToList();

    /// <summary>Space-separated words of a file like cgroup.controllers.</summary>
    public static IReadOnlySet<string> ReadWords(string path) =>
        (TryRead(path) ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
}
