namespace Ferry.Runtime.Sandbox;

/// <summary>A top-level system folder of the host such as /bin: a real folder, or (merged /usr) a symlink into /usr.</summary>
/// <param name="SymlinkTarget">The link's target as stored (e.g. "usr/bin"); null for a real folder.</param>
internal sealed record HostRootEntry(string Path, string? SymlinkTarget);

internal static class HostRootLayout
{
    /// <summary>The folders besides /usr that programs and the dynamic linker expect.</summary>
    public static readonly IReadOnlyList<string> SystemFolders = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    /// <summary>Looks at the host's / to see which of <see cref="SystemFolders"/> exist and how.</summary>
    public static IReadOnlyList<HostRootEntry> Inspect()
    {
        var entries = new List<HostRootEntry>();
        foreach (var path in SystemFolders)
        {
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is { } target)
            {
                entries.Add(new HostRootEntry(path, target));
            }
            else if (info.Exists)
            {
                entries.Add(new HostRootEntry(path, null));
            }
        }

        return entries;
    }
}
