using System.Text.Json;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;
using Ferry.Store;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>
/// A stem cell gets its function's code as one read-only bind mount that propagates into its running sandbox
/// (<see cref="CodeFolderMount"/>), on the real sandbox; and without mounts, as hard links.
/// </summary>
public sealed class StemCellCodeMountTests
{
    /// <summary>Lists /var/task, tries to write there, and reports the options of the mount at /var/task.</summary>
    private const string Handler = """
        import os
        def handler(event, context):
            try:
                open('/var/task/written.txt', 'w').write('x')
                write = 'written'
            except OSError as e:
                write = os.strerror(e.errno)
            options = [l.split()[5] for l in open('/proc/self/mountinfo') if l.split()[4] == '/var/task']
            return {
                'files': sorted(os.listdir('/var/task')),
                'data': open('/var/task/data/a.txt').read(),
                'write': write,
                'options': options[-1],
            }
        """;

    private static (string, string)[] Files => [("app.py", Handler), ("data/a.txt", "from the revision")];

    private static async Task<StemCell> ReadyPythonCellAsync(StemCellTestHost host)
    {
        await StemCellTestHost.WaitUntilAsync(() => host.Cells.ReadyCount(StemCellFamily.Python) > 0, "a python stem cell is ready");
        return host.Cells.ReadyCells(StemCellFamily.Python).First(c => c.IsWaiting);
    }

    [Fact]
    public async Task A_cell_gets_its_code_as_one_read_only_mount_which_is_gone_with_the_instance_while_the_revision_stays()
    {
        await using var host = await StemCellTestHost.StartAsync();
        var function = host.Function("python3.11", "app.handler", Files);
        var cell = await ReadyPythonCellAsync(host);
        Assert.True(cell.CodeMounted, "a root server prepares its cells' code folders as mounts");
        Assert.True(CodeFolderMount.IsMountPoint(cell.CodeDirectory));
        var pool = host.Pool(function);

        var (result, instance) = await StemCellTestHost.InvokeAsync(pool);

        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.True(instance.FromStemCell);
        var answer = JsonDocument.Parse(result.Payload).RootElement;
        Assert.Equal(["app.py", "data"], answer.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("from the revision", answer.GetProperty("data").GetString());
        Assert.Equal("Read-only file system", answer.GetProperty("write").GetString());
        Assert.Equal(["nodev", "nosuid", "ro"], answer.GetProperty("options").GetString()!.Split(',').Where(o => o is "ro" or "nosuid" or "nodev").Order());
        // On the host: the revision's folder is what is mounted on the cell's folder, and no file was linked or copied.
        var mounted = MountTable.Read().Last(m => m.MountPoint == cell.CodeDirectory);
        Assert.Contains("ro", mounted.Options);
        Assert.Equal(2, Directory.EnumerateFileSystemEntries(cell.CodeDirectory).Count());

        await pool.DisposeAsync();

        Assert.False(CodeFolderMount.IsMountPoint(cell.CodeDirectory));
        Assert.False(Directory.Exists(cell.CodeDirectory));
        Assert.Equal("from the revision", File.ReadAllText(Path.Combine(function.CodeDirectory, "data", "a.txt")));
        Assert.False(File.Exists(Path.Combine(function.CodeDirectory, "written.txt")));
    }

    [Fact]
    public async Task Without_code_mounts_a_cell_gets_hard_links_to_the_revisions_files()
    {
        await using var host = await StemCellTestHost.StartAsync(codeMounts: false);
        var function = host.Function("python3.11", "app.handler", Files);
        var cell = await ReadyPythonCellAsync(host);
        Assert.False(cell.CodeMounted);
        Assert.False(CodeFolderMount.IsMountPoint(cell.CodeDirectory));
        var pool = host.Pool(function);

        var (result, instance) = await StemCellTestHost.InvokeAsync(pool);

        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.True(instance.FromStemCell);
        var answer = JsonDocument.Parse(result.Payload).RootElement;
        Assert.Equal("from the revision", answer.GetProperty("data").GetString());
        Assert.Equal("Read-only file system", answer.GetProperty("write").GetString()); // bubblewrap's own read-only bind
        Assert.False(CodeFolderMount.IsMountPoint(cell.CodeDirectory));
        Assert.True(File.Exists(Path.Combine(cell.CodeDirectory, "data", "a.txt")), "the files are linked into the cell's own folder");

        await pool.DisposeAsync();

        Assert.False(Directory.Exists(cell.CodeDirectory));
        Assert.Equal("from the revision", File.ReadAllText(Path.Combine(function.CodeDirectory, "data", "a.txt")));
    }

    [Fact]
    public async Task Cell_folders_a_stopped_server_left_mounted_are_detached_and_removed_without_touching_the_revision()
    {
        string? leftover = null, revision = null;
        await using var host = await StemCellTestHost.StartAsync(beforeStart: cells =>
        {
            revision = Path.Combine(Path.GetDirectoryName(cells)!, "leftover-revision");
            Directory.CreateDirectory(revision);
            File.WriteAllText(Path.Combine(revision, "keep.txt"), "kept");
            leftover = Path.Combine(cells, "0123456789abcdef");
            Assert.True(CodeFolderMount.TryPrepare(leftover, out var failure), failure);
            CodeFolderMount.Attach(revision, leftover);
            Assert.True(File.Exists(Path.Combine(leftover, "keep.txt")));
        });

        Assert.False(CodeFolderMount.IsMountPoint(leftover!));
        Assert.False(Directory.Exists(leftover));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(revision!, "keep.txt")));
    }
}
