namespace Ferry.Runtime.Sandbox;

/// <summary>A top-level system folder of the host such as /bin: a real folder, or (merged /usr) a symlink into /usr.</summary>
/// <param name="SymlinkTarget">The link's target as stored (e.g. "usr/bin"); null for a real folder.</param>
internal sealed record HostRootEntry(string Path, string? SymlinkTarget);

internal static class HostRootLayout
{
    /// <summary>The folders besides /usr that programs and the dynamic linker expect.</summary>
    public static readonly IReadOnlyList<string> SystemFolders = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    /// <summary>Where a sandbox with its own root filesystem sees the host's system folders (for Ferry's bridge tools only).</summary>
    public const string SystemMount = SandboxPaths.Bridges + "/system";

    /// <summary>Whether <paramref name="hostPath"/> is in /usr or one of <see cref="SystemFolders"/>, the folders a sandbox may see of the host.</summary>
    public static bool IsSystemPath(string hostPath) =>
        SystemFolders.Prepend("/usr").Any(folder => hostPath == folder || hostPath.StartsWith(folder + "/", StringComparison.Ordinal));

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

/// <summary>
/// Host programs as a sandbox with its own root filesystem runs them: from the host's system folders, mounted under
/// <see cref="HostRootLayout.SystemMount"/>, through the host's dynamic loader with the host's library folders, so
/// they need nothing from the image. Each is an argv prefix.
/// </summary>
internal sealed record HostTools(IReadOnlyList<string> Shell, IReadOnlyList<string> Socat, IReadOnlyList<string> Sleep);

internal static partial class HostRootLayoutTools
{
    private const uint ProgramInterpreter = 3; // PT_INTERP

    /// <summary>
    /// The argv prefix that runs the host program <paramref name="hostProgram"/> inside a root-filesystem sandbox:
    /// its real path under the system mount, behind the host's loader when it is dynamically linked.
    /// </summary>
    /// <exception cref="SandboxStartException">The program is not an ELF executable, or a path has a space (the bridge splits words).</exception>
    public static IReadOnlyList<string> Argv(string hostProgram)
    {
        var real = RootFilesystem.Resolve("/", hostProgram)
            ?? throw new SandboxStartException($"the host program {hostProgram} does not exist");
        if (!HostRootLayout.IsSystemPath(real) || !IsElf(real))
        {
            throw new SandboxStartException($"the host program {hostProgram} ({real}) must be an ELF executable under /usr or the host's system folders");
        }

        var program = InSystemMount(real);
        IReadOnlyList<string> argv = ElfInterpreter(real) is { } interpreter
            ? [InSystemMount(RootFilesystem.Resolve("/", interpreter) ?? interpreter), "--library-path", string.Join(':', LibraryDirectories().Select(InSystemMount)), program]
            : [program];
        if (argv.Any(word => !word.All(c => char.IsAsciiLetterOrDigit(c) || "/._+:,-".Contains(c))))
        {
            throw new SandboxStartException(
                $"the host program {hostProgram} runs as '{string.Join(' ', argv)}', whose characters the bridge can't pass (letters, digits and /._+:,- only)");
        }

        return argv;
    }

    /// <summary>Where the host's <paramref name="hostPath"/> (a real path, no symlinks) appears in a root-filesystem sandbox.</summary>
    public static string InSystemMount(string hostPath) => HostRootLayout.SystemMount + hostPath;

    /// <summary>
    /// The host's library folders (real paths): those of /etc/ld.so.conf and its includes, then the default ones.
    /// An image's own ld.so.cache must never be what finds a host program's libraries.
    /// </summary>
    public static IReadOnlyList<string> LibraryDirectories()
    {
        var folders = new List<string>();
        ReadLoaderConfig("/etc/ld.so.conf", folders, depth: 0);
        folders.AddRange(["/lib64", "/usr/lib64", "/lib", "/usr/lib"]);
        return [.. folders
            .Select(folder => RootFilesystem.Resolve("/", folder))
            .OfType<string>()
            .Where(folder => Directory.Exists(folder) && HostRootLayout.IsSystemPath(folder))
            .Distinct(StringComparer.Ordinal)];
    }

    private static void ReadLoaderConfig(string path, List<string> folders, int depth)
    {
        if (depth > 4 || !File.Exists(path))
        {
            return;
        }

        foreach (var raw in File.ReadLines(path).Take(1000))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.StartsWith("include ", StringComparison.Ordinal))
            {
                var pattern = line["include ".Length..].Trim();
                var directory = Path.GetDirectoryName(pattern);
                if (directory is not null && Directory.Exists(directory))
                {
                    foreach (var included in Directory.GetFiles(directory, Path.GetFileName(pattern)).Order(StringComparer.Ordinal))
                    {
                        ReadLoaderConfig(included, folders, depth + 1);
                    }
                }
            }
            else if (line.StartsWith('/'))
            {
                folders.Add(line);
            }
        }
    }

    private static bool IsElf(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
    }

    /// <summary>The PT_INTERP of a little-endian ELF file (its dynamic loader), or null for a static or non-ELF file.</summary>
    internal static string? ElfInterpreter(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[64];
        if (file.Read(header) < 52 || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[5] != 1)
        {
            return null;
        }

        var is64 = header[4] == 2;
        var tableOffset = is64 ? (long)BitConverter.ToUInt64(header[0x20..]) : BitConverter.ToUInt32(header[0x1C..]);
        var entrySize = BitConverter.ToUInt16(header[(is64 ? 0x36 : 0x2A)..]);
        var entries = BitConverter.ToUInt16(header[(is64 ? 0x38 : 0x2C)..]);
        var entry = new byte[Math.Max((int)entrySize, 56)];
        for (var i = 0; i < Math.Min((int)entries, 256); i++)
        {
            file.Position = tableOffset + ((long)i * entrySize);
            if (file.Read(entry, 0, entrySize) < (is64 ? 56 : 32))
            {
                return null;
            }

            if (BitConverter.ToUInt32(entry, 0) != ProgramInterpreter)
            {
                continue;
            }

            var offset = is64 ? (long)BitConverter.ToUInt64(entry, 8) : BitConverter.ToUInt32(entry, 4);
            var size = is64 ? (long)BitConverter.ToUInt64(entry, 32) : BitConverter.ToUInt32(entry, 16);
            if (size is <= 1 or > 4096)
            {
                return null;
            }

            var name = new byte[size];
            file.Position = offset;
            file.ReadExactly(name);
            return System.Text.Encoding.UTF8.GetString(name).TrimEnd('\0');
        }

        return null;
    }
}
