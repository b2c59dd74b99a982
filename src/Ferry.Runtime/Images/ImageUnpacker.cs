using Ferry.Runtime.Sandbox;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Ferry.Runtime.Images;

/// <summary>
/// Turns a verified OCI layout into a rootfs with umoci (<c>umoci raw unpack --rootless</c>: every file owned by
/// Ferry's user, no device nodes). Layers are scanned first, so a decompression bomb or a name with '..' is refused
/// before umoci sees it; and when bubblewrap is there umoci runs in it with only the work folder writable, so
/// nothing it does can land outside that folder whatever the layers hold.
/// </summary>
internal sealed class ImageUnpacker(string umociPath, string? jailPath, ImageLimits limits, SandboxUsers? jailUsers = null)
{
    /// <summary>Scans the layers of <paramref name="image"/> in <paramref name="layout"/>, then unpacks them to <paramref name="rootfs"/> (not existing yet).</summary>
    /// <param name="workDirectory">Folder holding both <paramref name="layout"/> and <paramref name="rootfs"/>: the only place umoci may write.</param>
    /// <summary>
    /// umoci in bubblewrap: the host's system folders read-only, its work folder the only writable place, every
    /// namespace of its own; and, when the server runs as root, as a one-off unprivileged user in a user namespace
    /// (the work folder is given to that user first), so a layer that exploited umoci would hold no privilege.
    /// </summary>
    private (string Program, List<string> Arguments) Jail(string bwrap, string workDirectory, IReadOnlyList<string> umoci)
    {
        var arguments = new List<string> { "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr" };
        foreach (var entry in HostRootLayout.Inspect())
        {
            arguments.AddRange(entry.SymlinkTarget is { } target ? ["--symlink", target, entry.Path] : ["--ro-bind", entry.Path, entry.Path]);
        }

        arguments.AddRange(["--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc", "--bind", workDirectory, workDirectory, "--", .. umoci]);
        if (jailUsers is not { SwitchesUsers: true } users)
        {
            return (bwrap, arguments);
        }

        var user = users.OneOff();
        SandboxHostFiles.AllowTraversal(Path.GetDirectoryName(workDirectory)!, users.AccessGroupId);
        SandboxHostFiles.GiveTree(workDirectory, user);
        var id = (int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (BubblewrapSandbox.SetprivPath,
        [
            "--reuid", id(user.Uid), "--regid", id(user.Gid), "--groups", id(users.AccessGroupId), "--inh-caps=-all", "--bounding-set=-all", "--",
            bwrap, "--unshare-user", "--disable-userns", "--uid", id(user.Uid), "--gid", id(user.Gid), .. arguments,
        ]);
    }

    public async Task UnpackAsync(OciImage image, string workDirectory, string layout, string tag, string rootfs, CancellationToken cancellationToken)
    {
        await ScanLayersAsync(image, layout, cancellationToken);

        IReadOnlyList<string> umoci = [umociPath, "raw", "unpack", "--rootless", "--image", $"{layout}:{tag}", rootfs];
        var (program, arguments) = jailPath is null ? (umociPath, umoci.Skip(1).ToList()) : Jail(jailPath, workDirectory, umoci);

        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new ImageException($"could not start {program}");
        var output = ReadTailAsync(process.StandardOutput);
        var errors = ReadTailAsync(process.StandardError);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limits.UnpackTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new ImageException($"umoci did not finish unpacking within {limits.UnpackTimeout.TotalSeconds:0} s");
        }

        var log = (await output + await errors).Trim();
        if (process.ExitCode != 0 || !Directory.Exists(rootfs))
        {
            throw new ImageException($"umoci could not unpack the image (exit code {process.ExitCode}): {log}");
        }

        if (jailUsers is { SwitchesUsers: true })
        {
            // The one-off user may be handed out again one day: nothing it could change may stay its own.
            SandboxHostFiles.GiveTree(workDirectory, new SandboxUser(0, 0));
        }
    }

    /// <summary>
    /// Reads every layer's tar headers: the total size and entry count must stay within the limits, and no name or
    /// hard-link target may climb out with '..'. Reading the headers means decompressing, so a bomb stops at the limit.
    /// </summary>
    private async Task ScanLayersAsync(OciImage image, string layout, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var entries = 0;
        foreach (var layer in image.Layers)
        {
            var path = Path.Combine(layout, "blobs", "sha256", layer.Digest[7..]);
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var content = layer.MediaType.EndsWith("+gzip", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            try
            {
                await using var tar = new TarReader(content, leaveOpen: true);
                while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
                {
                    if (++entries > limits.MaxLayerEntries)
                    {
                        throw new ImageException($"the image's layers hold more than {limits.MaxLayerEntries} files");
                    }

                    bytes += Math.Max(0, entry.Length);
                    if (bytes > limits.MaxUnpackedBytes)
                    {
                        throw new ImageException($"the image unpacks to more than {limits.MaxUnpackedBytes} bytes");
                    }

                    if (ClimbsOut(entry.Name) || (entry.EntryType == TarEntryType.HardLink && ClimbsOut(entry.LinkName)))
                    {
                        throw new ImageException($"layer {layer.Digest} has the entry '{entry.Name}', whose path leaves the image");
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new ImageException($"layer {layer.Digest} is not a valid {layer.MediaType}: {ex.Message}", ex);
            }
        }
    }

    private static bool ClimbsOut(string name) => name.Contains('\0') || name.Split('/').Contains("..");

    /// <summary>The last few KiB of a stream (umoci's progress lines are noise; the error is at the end).</summary>
    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        var tail = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            tail.Append(buffer, 0, read);
            if (tail.Length > 8192)
            {
                tail.Remove(0, tail.Length - 4096);
            }
        }

        return tail.ToString();
    }
}
