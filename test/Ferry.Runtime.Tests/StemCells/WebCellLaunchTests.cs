using System.Diagnostics;
using Ferry.Runtime.StemCells;

namespace Ferry.Runtime.Tests.StemCells;

public sealed class WebCellLaunchTests
{
    [Fact]
    public void The_script_changes_to_the_code_folder_and_execs_the_command_with_only_the_given_environment()
    {
        var script = WebCellLaunch.Script(["php", "-S", "127.0.0.1:8080"], new Dictionary<string, string> { ["PORT"] = "8080" });

        Assert.Equal("cd '/var/task' || exit 126\nexec /usr/bin/env -i 'PORT=8080' 'php' '-S' '127.0.0.1:8080'\n", script);
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
