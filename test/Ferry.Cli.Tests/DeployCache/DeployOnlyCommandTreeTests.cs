using Ferry.Cli.Tests.Support;

namespace Ferry.Cli.Tests.DeployCache;

/// <summary><c>ferry deploy</c> builds only its own command (a quicker start); everything else gets the whole tree.</summary>
public sealed class DeployOnlyCommandTreeTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData(true, "deploy")]
    [InlineData(true, "deploy", "--stage", "prod")]
    [InlineData(true, "--url", "http://x:1", "deploy")]
    [InlineData(true, "--url=http://x:1", "deploy", "--force")]
    [InlineData(false, "info", "deploy")]
    [InlineData(false, "dev")]
    [InlineData(false, "--help")]
    [InlineData(false)]
    public void Only_a_deploy_command_is_recognised(bool expected, params string[] args)
        => Assert.Equal(expected, FerryCli.IsDeploy(args));

    [Fact]
    public async Task Deploy_help_and_usage_errors_read_as_with_the_whole_tree()
    {
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("deploy", "--help"));
        Assert.Contains("--force", _cli.Out.ToString());
        Assert.Contains("--url", _cli.Out.ToString());

        Assert.Equal(ExitCodes.UserError, await _cli.RunAsync("deploy", "--no-such-option"));
        Assert.Contains("Run 'ferry deploy --help' for usage.", _cli.Error.ToString());
    }
}
