namespace Ferry.Packaging;

/// <summary>Validation of entry names and symlink targets, shared by archive creation and extraction.</summary>
internal static class ArchivePath
{
    /// <summary>
    /// Checks that a zip entry name is a plain relative path: '/'-separated, no backslash, no drive letter, no
    /// leading '/', and no empty, '.' or '..' segment. Returns it without the trailing '/' of a directory entry.
    /// </summary>
    public static (string Path, bool IsDirectory) ParseEntryName(string name)
    {
        if (name.Length == 0)
        {
            throw Reject(name, "it is empty");
        }

        if (name.Contains('\\'))
        {
            throw Reject(name, "it contains a backslash (zip entry names use '/')");
        }

        if (name.Contains('\0'))
        {
            throw Reject(name, "it contains a NUL character");
        }

        if (name[0] == '/' || HasDriveLetter(name))
        {
            throw Reject(name, "it is an absolute path");
        }

        var isDirectory = name.EndsWith('/');
        var path = isDirectory ? name[..^1] : name;
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                throw Reject(name, "it has an empty, '.' or '..' path segment");
            }
        }

        return (path, isDirectory);
    }

    /// <summary>
    /// Resolves the target of the symlink at <paramref name="linkPath"/> (tree-relative) and returns the tree-relative
    /// path it names ("" for the root). Targets must be relative, and '..' is allowed only before the first name:
    /// after a name the kernel would resolve '..' from wherever a symlinked directory points, which a lexical check
    /// cannot follow.
    /// </summary>
    public static string ResolveLinkTarget(string linkPath, string target)
    {
        if (target.Length == 0 || target.Contains('\0'))
        {
            throw RejectLink(linkPath, target, "the target is empty or contains a NUL character");
        }

        if (target.Contains('\\'))
        {
            throw RejectLink(linkPath, target, "the target contains a backslash");
        }

        if (target[0] == '/' || HasDriveLetter(target))
        {
            throw RejectLink(linkPath, target, "the target is absolute; only relative targets inside the tree are allowed");
        }

        var resolved = new List<string>(linkPath.Split('/')[..^1]);
        var descended = false;
        foreach (var segment in target.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (descended)
                {
                    throw RejectLink(linkPath, target, "'..' follows a directory name; only leading '..' segments are allowed");
                }

                if (resolved.Count == 0)
                {
                    throw RejectLink(linkPath, target, "the target is outside the tree");
                }

                resolved.RemoveAt(resolved.Count - 1);
            }
            else
            {
                descended = true;
                resolved.Add(segment);
            }
        }

        return string.Join('/', resolved);
    }

    private static bool HasDriveLetter(string path) => path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':';

    private static ArchiveException Reject(string name, string reason) =>
        new($"The archive entry '{name}' was rejected: {reason}.");

    private static ArchiveException RejectLink(string linkPath, string target, string reason) =>
        new($"The symlink '{linkPath}' -> '{target}' was rejected: {reason}.");
}
