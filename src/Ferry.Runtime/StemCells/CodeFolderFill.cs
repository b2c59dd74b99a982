using System.Runtime.InteropServices;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// Puts a revision's code into a stem cell's (empty) code folder: hard links when both are on one file system (no
/// data is copied, and the revision's files are immutable), copies otherwise. Symbolic links are recreated as they
/// are, never followed, so the cell sees exactly what a normal instance of the revision sees.
/// </summary>
internal static class CodeFolderFill
{
    private const int CrossDeviceLinkError = 18; // EXDEV

    /// <summary>Fills <paramref name="target"/> (existing, empty) with the tree under <paramref name="source"/>.</summary>
    /// <returns>Whether every file was hard-linked (false: at least one was copied).</returns>
    /// <exception cref="IOException">A file could not be copied.</exception>
    public static bool Fill(string source, string target, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"the revision's code folder {source} does not exist");
        }

        var linkable = true;
        var allLinked = true;
        FillDirectory(new DirectoryInfo(source), target, ref linkable, ref allLinked, cancellationToken);
        return allLinked;
    }

    private static void FillDirectory(DirectoryInfo source, string target, ref bool linkable, ref bool allLinked, CancellationToken cancellationToken)
    {
        foreach (var entry in source.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var destination = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } linkTarget)
            {
                File.CreateSymbolicLink(destination, linkTarget);
            }
            else if (entry is DirectoryInfo directory)
            {
                Directory.CreateDirectory(destination, directory.UnixFileMode);
                FillDirectory(directory, destination, ref linkable, ref allLinked, cancellationToken);
            }
            else if (entry is FileInfo file)
            {
                var crossDevice = false;
                if (!linkable || !TryHardLink(file.FullName, destination, out crossDevice))
                {
                    // Across file systems every link fails the same way: copy the rest without trying.
                    linkable &= !crossDevice;
                    allLinked = false;
                    file.CopyTo(destination);
                }
            }
        }
    }

    /// <summary>False when the kernel refuses the link (then the file is copied instead).</summary>
    private static bool TryHardLink(string existing, string link, out bool crossDevice)
    {
        var linked = Link(existing, link) == 0;
        crossDevice = !linked && Marshal.GetLastPInvokeError() == CrossDeviceLinkError;
        return linked;
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string link);
}
