namespace Ferry.Runtime.Sandbox;

/// <summary>One line of <c>/proc/self/mountinfo</c>: where a mount is and its per-mount options.</summary>
internal sealed record MountEntry(string MountPoint, IReadOnlyList<string> Options);

/// <summary>Reads the mounts of the server's own mount namespace.</summary>
internal static class MountTable
{
    private const string MountInfoPath = "/proc/self/mountinfo";

    /// <summary>The mounts in <c>/proc/self/mountinfo</c>, in its order (parents before what is mounted on them).</summary>
    public static IReadOnlyList<MountEntry> Read() => Parse(File.ReadLines(MountInfoPath));

    /// <summary>
    /// Parses mountinfo lines: field 5 is the mount point and field 6 the mount's options (see proc(5)); malformed
    /// lines are skipped.
    /// </summary>
    public static IReadOnlyList<MountEntry> Parse(IEnumerable<string> lines)
    {
        var entries = new List<MountEntry>();
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            if (fields.Length > 5)
            {
                entries.Add(new MountEntry(Unescape(fields[4]), fields[5].Split(',')));
            }
        }

        return entries;
    }

    /// <summary>Mount points strictly below <paramref name="folder"/>, deepest first (the order to unmount them in).</summary>
    public static IReadOnlyList<string> MountPointsBelow(IEnumerable<MountEntry> mounts, string folder)
    {
        var prefix = Path.TrimEndingDirectorySeparator(folder) + "/";
        return mounts.Select(m => m.MountPoint)
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(p => p.Count(c => c == '/'))
            .ToList();
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes.</summary>
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
