using System.Diagnostics;
using Ferry.Runtime.StemCells;

namespace Ferry.Runtime.Tests.StemCells;

public sealed class WebCellLaunchTests
{
    [Fact]
    public void The_script_changes_to_the_code_folder_exports_the_environment_and_execs_the_command()
    {
        var script = WebCellLaunch.Script(["php", "-S", "127.0.0.1:8080"], new Dictionary<string, string> { ["PORT"] = "8080" });

        Assert.Equal("cd '/var/task' || exit 126\nunset OLDPWD PWD\nexport 'PORT=8080'\nexec 'php' '-S' '127.0.0.1:8080'\n", script);
    }

    [Fact]
    public void A_presets_sh_c_exec_line_runs_in_the_waiting_shell_itself()
    {
        var script = WebCellLaunch.Script(["sh", "-c", "exec php -S \"$HOST:$PORT\" -t public"], new Dictionary<string, string> { ["PORT"] = "8080" });

        Assert.Equal("cd '/var/task' || exit 126\nunset OLDPWD PWD\nexport 'PORT=8080'\nexec php -S \"$HOST:$PORT\" -t public\nexit $?\n", script);
    }

    [Theory]
    [InlineData("my-var")]
    [InlineData("1ST")]
    [InlineData("OPTIND")]
    [InlineData("IFS")]
    public void A_variable_the_shell_cannot_export_as_is_makes_the_script_use_env(string name)
    {
        var script = WebCellLaunch.Script(["sh", "-c", "exec php"], new Dictionary<string, string> { [name] = "1" });

        Assert.Equal($"cd '/var/task' || exit 126\nexec /usr/bin/env -i '{name}=1' 'sh' '-c' 'exec php'\n", script);
    }

    public static TheoryData<string[], Dictionary<string, string>> Launches => new()
    {
        { ["/usr/bin/env"], new() { ["PATH"] = "/usr/bin:/bin", ["A"] = "it's $HOME `id`", ["EMPTY"] = "" } },
        { ["sh", "-c", "exec /usr/bin/env"], new() { ["PATH"] = "/usr/bin:/bin", ["PORT"] = "8080" } },
        { ["/bin/sh", "-c", "exec 2>&1; /usr/bin/env"], new() { ["PATH"] = "/usr/bin:/bin", ["OLDPWD"] = "/before" } },
        { ["env"], new() { ["PATH"] = "/usr/bin:/bin", ["my-var"] = "x", ["OPTIND"] = "y" } },
        { ["/usr/bin/env"], new() },
    };

    [Theory]
    [MemberData(nameof(Launches))]
    public async Task A_waiting_shell_runs_the_command_in_the_folder_with_exactly_the_functions_environment(string[] command, Dictionary<string, string> environment)
    {
        var (exitCode, output) = await LaunchThroughFifoAsync(command, environment);

        Assert.Equal(0, exitCode);
        var expected = environment.Select(pair => pair.Key + "=" + pair.Value).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task A_shell_line_that_does_not_replace_the_shell_ends_it_with_its_status_instead_of_reading_on()
    {
        // The FIFO stays open for writing, as the server holds it: a shell that read on would wait forever.
        var (exitCode, output) = await LaunchThroughFifoAsync(["sh", "-c", "exec 2>&1; /bin/echo started; exit 3"], new() { ["PATH"] = "/usr/bin:/bin" });

        Assert.Equal(3, exitCode);
        Assert.Equal("started\n", output);
    }

    /// <summary>Runs <see cref="WebCellLaunch.WaitingCommand"/>'s shell on a FIFO the test holds open, as a cell's is held, in a temporary code folder.</summary>
    private static async Task<(int ExitCode, string Output)> LaunchThroughFifoAsync(string[] command, Dictionary<string, string> environment)
    {
        var folder = Directory.CreateTempSubdirectory("ferry-webcell-test-");
        try
        {
            var fifo = Path.Combine(folder.FullName, WebCellLaunch.FifoName);
            WebCellLaunch.CreateFifo(fifo);
            await using var writer = WebCellLaunch.Open(fifo);
            var waiting = WebCellLaunch.WaitingCommand.Select(word => word.Replace(WebCellLaunch.FifoInSandbox, fifo, StringComparison.Ordinal)).ToList();
            var start = new ProcessStartInfo(waiting[0], waiting.Skip(1)) { RedirectStandardOutput = true };
            start.Environment["CELL_ONLY"] = "must not reach the function";
            using var shell = Process.Start(start)!;
            await writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(WebCellLaunch.Script(command, environment, folder.FullName)));
            var output = await shell.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await shell.WaitForExitAsync(timeout.Token);
            return (shell.ExitCode, output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("'")]
    [InlineData("$HOME `id` $(id) \\ \" * ?")]
    [InlineData("new\nline")]
    [InlineData("")]
    public async Task A_quoted_word_reaches_the_program_exactly(string text)
    {
        // The shell that reads the script is dash (/bin/sh), as in the sandbox.
        using var sh = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "printf '%s' " + WebCellLaunch.Quote(text)]) { RedirectStandardOutput = true })!;
        var output = await sh.StandardOutput.ReadToEndAsync();
        await sh.WaitForExitAsync();

        Assert.Equal(text, output);
    }
}
