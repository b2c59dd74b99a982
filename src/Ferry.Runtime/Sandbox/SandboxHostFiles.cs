namespace Ferry.Runtime.Sandbox;

/// <summary>
/// Host files a sandbox running as an unprivileged user must reach: bwrap resolves its mount sources with that user's
/// rights, the bridges connect to host sockets as that user, and the function writes its data folders as that user.
/// </summary>
internal static class SandboxHostFiles
{
    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Gives <paramref name="user"/> what <paramref name="spec"/> needs; nothing to do when sandboxes run as the server's own user.</summary>
    public static void Prepare(SandboxSpec spec, SandboxUser user, SandboxUsers users)
    {
        if (!users.SwitchesUsers)
        {
            return;
        }

        try
        {
            foreach (var service in spec.Bridges.HostServices)
            {
                ShareSocket(service.HostSocketPath, users.AccessGroupId);
            }

            if (spec.Bridges.PublishedPort is { } published)
            {
                // An empty folder of this sandbox alone: the function's forwarder creates the socket in it.
                HostFileOwnership.SetOwner(Path.GetDirectoryName(published.HostSocketPath)!, user.Uid, user.Gid);
            }

            foreach (var mount in spec.Mounts)
            {
                GiveTo(mount.HostPath, user);
            }
        }
        catch (IOException ex)
        {
            throw new SandboxStartException($"could not give the sandbox's user ({user}) its files: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Makes <paramref name="directory"/> <c>OWNER:ACCESS_GROUP 0710</c>-like: its owner keeps its rights, sandboxes
    /// (which all carry the access group) may pass through it, nobody else may even do that.
    /// </summary>
    public static void AllowTraversal(string directory, int accessGroupId)
    {
        HostFileOwnership.SetOwner(directory, -1, accessGroupId);
        var mode = File.GetUnixFileMode(directory);
        File.SetUnixFileMode(directory, (mode & ~GroupAndOther) | UnixFileMode.GroupExecute);
    }

    /// <summary>A host service's socket (and its folder) usable by every sandbox user, and by no other local user.</summary>
    private static void ShareSocket(string socketPath, int accessGroupId)
    {
        var folder = Path.GetDirectoryName(socketPath)!;
        if (HostFileOwnership.GetOwner(folder).Gid != accessGroupId)
        {
            AllowTraversal(folder, accessGroupId);
        }

        if (HostFileOwnership.GetOwner(socketPath).Gid != accessGroupId)
        {
            HostFileOwnership.SetOwner(socketPath, -1, accessGroupId);
            // connect(2) needs write permission on the socket file.
            var mode = File.GetUnixFileMode(socketPath);
            File.SetUnixFileMode(socketPath, (mode & ~GroupAndOther) | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        }
    }

    /// <summary>
    /// A data folder (a SQLite database folder) owned by <paramref name="user"/>. The folder's entries are given to it on
    /// every start (Ferry creates database files in it); the whole tree only the first time, when the folder was not
    /// the user's yet and so no sandbox of the user can have written into it (nothing can be swapped for a link
    /// meanwhile). Links are never followed.
    /// </summary>
    private static void GiveTo(string folder, SandboxUser user)
    {
        if (HostFileOwnership.GetOwner(folder).Uid != user.Uid)
        {
            GiveTree(folder, user);
            return;
        }

        HostFileOwnership.SetOwner(folder, user.Uid, user.Gid);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            HostFileOwnership.SetOwner(entry.FullName, user.Uid, user.Gid);
        }
    }

    /// <summary>A folder Ferry made, with everything in it, given to <paramref name="user"/> (links are not followed).</summary>
    public static void GiveTree(string folder, SandboxUser user)
    {
        HostFileOwnership.SetOwner(folder, user.Uid, user.Gid);
        GiveTree(new DirectoryInfo(folder), user);
    }

    private static void GiveTree(DirectoryInfo directory, SandboxUser user)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            HostFileOwnership.SetOwner(entry.FullName, user.Uid, user.Gid);
            if (entry is DirectoryInfo child && child.LinkTarget is null)
            {
                GiveTree(child, user);
            }
        }
    }
}
