using System.Net.Sockets;
using System.Text;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.Tests.Sandbox;

namespace Ferry.Runtime.Tests.Images;

/// <summary>
/// A sandbox whose root is an image's rootfs (here a static busybox and a few files), run by the real bubblewrap:
/// it sees the image, not the host, yet its bridges work although the image has neither socat nor a shell of Ferry's.
/// </summary>
public sealed class ImageSandboxTests : IDisposable
{
    private readonly SandboxTestFolders _folders = new();
    private readonly BubblewrapSandbox _sandbox = SandboxTestFolders.CreateBubblewrap();

    public ImageSandboxTests()
    {
        var busybox = RootFilesystem.Resolve("/", "/bin/busybox");
        Assert.True(busybox is not null && HostRootLayoutTools.ElfInterpreter(busybox) is null,
            "These tests need a static busybox: install it with `apt-get install busybox-static`.");
        Directory.CreateDirectory(Path.Combine(Root, "bin"));
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        Directory.CreateDirectory(Path.Combine(Root, "srv"));
        File.Copy(busybox, Path.Combine(Root, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "ls", "cat", "nc", "touch", "echo", "pwd" })
        {
            File.CreateSymbolicLink(Path.Combine(Root, "bin", applet), "/bin/busybox"); // absolute: resolved inside the root
        }

        File.WriteAllText(Path.Combine(Root, "etc", "release"), "image-release");
        RootFilesystem.Prepare(Root);
    }

    public void Dispose()
    {
        _sandbox.Dispose();
        _folders.Dispose();
    }

    private string Root => Path.Combine(_folders.Root, "rootfs");

    private SandboxSpec Spec(string script) => _folders.Shell("unused") with
    {
        Command = ["sh", "-c", script],
        Environment = new Dictionary<string, string> { ["PATH"] = "/bin" },
        RootFilesystem = Root,
        WorkingDirectory = "/srv",
    };

    [Fact]
    public async Task The_image_is_the_whole_read_only_root()
    {
        var run = await SandboxRun.RunAsync(_sandbox, Spec(
            "cat /etc/release; echo; pwd; ls /usr >/dev/null 2>&1 && echo host-usr-visible || echo no-usr; " +
            "ls /var/task >/dev/null 2>&1 && echo code-visible || echo no-code; " +
            "touch /etc/x 2>/dev/null && echo root-writable || echo root-read-only; " +
            "touch /tmp/x && echo tmp-writable"));

        Assert.True(run.ExitCode == 0, string.Join('\n', run.Stderr));
        Assert.Equal(["image-release", "/srv", "no-usr", "no-code", "root-read-only", "tmp-writable"], run.Stdout);
        Assert.False(File.Exists(Path.Combine(Root, "etc", "x")));
    }

    [Fact]
    public async Task Bridges_run_the_hosts_tools_and_data_mounts_stay_writable()
    {
        var socketPath = Path.Combine(_folders.Root, "service.sock");
        using var service = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        service.Bind(new UnixDomainSocketEndPoint(socketPath));
        service.Listen();
        var answered = AnswerOnceAsync(service);
        var data = Directory.CreateDirectory(Path.Combine(_folders.Root, "data"));
        var spec = Spec("echo hello | nc 127.0.0.1 9001; echo kept > /var/ferry/db/file; touch /run/ferry/x 2>/dev/null || echo run-read-only") with
        {
            Bridges = new SandboxBridges { HostServices = [new HostServiceBridge(9001, socketPath)] },
            Mounts = [new SandboxMount(data.FullName, "/var/ferry/db")],
        };

        var run = await SandboxRun.RunAsync(_sandbox, spec);

        Assert.True(run.ExitCode == 0, string.Join('\n', run.Stderr));
        Assert.Equal(["host got: hello", "run-read-only"], run.Stdout);
        Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(data.FullName, "file")));
        await answered;
    }

    [Fact]
    public async Task A_root_that_was_not_prepared_or_a_missing_working_directory_is_a_clear_start_error()
    {
        var unprepared = Directory.CreateDirectory(Path.Combine(_folders.Root, "bare"));

        var bare = await Assert.ThrowsAsync<SandboxStartException>(() => _sandbox.StartAsync(Spec("true") with { RootFilesystem = unprepared.FullName }, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<SandboxStartException>(() => _sandbox.StartAsync(Spec("true") with { WorkingDirectory = "/nowhere" }, CancellationToken.None));

        Assert.Contains("must be prepared", bare.Message, StringComparison.Ordinal);
        Assert.Contains("'/nowhere' does not exist in the image", missing.Message, StringComparison.Ordinal);
    }

    private static async Task AnswerOnceAsync(Socket listener)
    {
        using var connection = await listener.AcceptAsync();
        var buffer = new byte[256];
        var read = await connection.ReceiveAsync(buffer);
        await connection.SendAsync(Encoding.UTF8.GetBytes("host got: " + Encoding.UTF8.GetString(buffer, 0, read)));
    }
}
