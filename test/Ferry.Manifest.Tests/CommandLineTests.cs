using Ferry.Manifest.Rules;

namespace Ferry.Manifest.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("node server.js", new[] { "node", "server.js" })]
    [InlineData("  spaced   out  ", new[] { "spaced", "out" })]
    [InlineData("echo 'single quoted $HOME' done", new[] { "echo", "single quoted $HOME", "done" })]
    [InlineData("echo \"say \\\"hi\\\"\" \\\\ end", new[] { "echo", "say \"hi\"", "\\", "end" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    [InlineData("empty '' arg", new[] { "empty", "", "arg" })]
    [InlineData("escaped\\ space", new[] { "escaped space" })]
    public void Splits_like_a_shell(string command, string[] expected)
    {
        Assert.Equal(expected, CommandLine.TrySplit(command, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("echo 'open", "unterminated single quote")]
    [InlineData("echo \"open", "unterminated double quote")]
    public void Reports_unterminated_quotes(string command, string expected)
    {
        Assert.Null(CommandLine.TrySplit(command, out var problem));
        Assert.Contains(expected, problem);
    }
}
