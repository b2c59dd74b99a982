using Ferry.Cli.Init;
using Ferry.Cli.Tests.Support;
using Ferry.Manifest;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry init</c>: built-in starters rendered into a folder.</summary>
public sealed class InitCommandTests
{
    public static TheoryData<string> StarterNames => [.. StarterCatalog.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(StarterNames))]
    public async Task Each_starter_renders_a_manifest_that_loads_without_problems(string starter)
    {
        using var cli = new TestCli();

        var exit = await cli.RunAsync("init", starter, "--name", "my-app");

        Assert.Equal(ExitCodes.Success, exit);
        var folder = Path.Combine(cli.WorkingDirectory, "my-app");
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        Assert.True(files.Length >= 2, $"{starter} wrote only {files.Length} file(s)");
        foreach (var file in files)
        {
            Assert.DoesNotContain(StarterWriter.NamePlaceholder, File.ReadAllText(file));
        }

        var result = ManifestLoader.LoadFile(Path.Combine(folder, "serverless.yml"), new ManifestLoadOptions());
        Assert.Equal("my-app", result.Manifest.Service);
        Assert.NotEmpty(result.Manifest.Functions);
        Assert.Empty(result.Warnings);
        Assert.Contains("cd my-app && ferry deploy", cli.Out.ToString());
    }

    [Fact]
    public async Task Without_a_template_it_lists_every_starter_with_a_description()
    {
        using var cli = new TestCli();

        var exit = await cli.RunAsync("init");

        Assert.Equal(ExitCodes.Success, exit);
        foreach (var starter in StarterCatalog.All)
        {
            Assert.Contains($"{starter.Name}", cli.Out.ToString());
            Assert.Contains(starter.Description, cli.Out.ToString());
        }

        Assert.Empty(Directory.GetFileSystemEntries(cli.WorkingDirectory));
    }

    [Fact]
    public async Task The_name_defaults_to_the_folder_name()
    {
        using var cli = new TestCli();

        var exit = await cli.RunAsync("init", "python", "--dir", "apps/orders-api");

        Assert.Equal(ExitCodes.Success, exit);
        var yml = File.ReadAllText(Path.Combine(cli.WorkingDirectory, "apps", "orders-api", "serverless.yml"));
        Assert.Contains("service: orders-api", yml);
        Assert.Contains("orders-api", File.ReadAllText(Path.Combine(cli.WorkingDirectory, "apps", "orders-api", "handler.py")));
    }

    [Fact]
    public async Task A_non_empty_folder_is_refused_and_nothing_is_written()
    {
        using var cli = new TestCli();
        cli.WriteFile("shop/notes.txt", "mine");

        var exit = await cli.RunAsync("init", "express", "--dir", "shop", "--name", "shop");

        Assert.Equal(ExitCodes.UserError, exit);
        Assert.Contains("is not empty; nothing was written", cli.Error.ToString());
        Assert.Contains("--force", cli.Error.ToString());
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(Path.Combine(cli.WorkingDirectory, "shop")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Force_writes_into_a_non_empty_folder_and_keeps_other_files()
    {
        using var cli = new TestCli();
        cli.WriteFile("shop/notes.txt", "mine");

        var exit = await cli.RunAsync("init", "node", "--dir", "shop", "--name", "shop", "--force");

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(cli.WorkingDirectory, "shop", "notes.txt")));
        Assert.True(File.Exists(Path.Combine(cli.WorkingDirectory, "shop", "handler.js")));
    }

    [Theory]
    [InlineData("Shop_API", "not a valid service name")]
    [InlineData("1shop", "not a valid service name")]
    public async Task An_invalid_name_is_a_clear_error(string name, string expected)
    {
        using var cli = new TestCli();

        var exit = await cli.RunAsync("init", "node", "--name", name);

        Assert.Equal(ExitCodes.UserError, exit);
        Assert.Contains(expected, cli.Error.ToString());
        Assert.Contains("lowercase letters", cli.Error.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(cli.WorkingDirectory));
    }

    [Fact]
    public async Task An_unknown_starter_names_the_starters()
    {
        using var cli = new TestCli();

        var exit = await cli.RunAsync("init", "cobol", "--name", "x");

        Assert.Equal(ExitCodes.UserError, exit);
        Assert.Contains("There is no starter 'cobol'", cli.Error.ToString());
        Assert.Contains("express", cli.Error.ToString());
    }
}
