using System.Net;
using System.Text.Json;
using Ferry.Cli.Tests.Support;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry review list | show | approve | reject</c> against a stub server.</summary>
public sealed class ReviewCommandsTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.Out.ToString();
    private string Error => _cli.Error.ToString();

    [Fact]
    public async Task List_shows_pending_versions_with_the_first_line_of_their_changelog()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, new[]
        {
            TemplateCommandsTests.Version("1.1.0", "pending", "Adds webp\nand fixes a leak"),
        }));

        var exitCode = await _cli.RunAsync("review", "list");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/reviews", _cli.Http.Requests.Single().PathAndQuery);
        Assert.Matches(@"\s+image-resizer@1\.1\.0\s+\S+ \S+\s+0123456789abcdef\s+Adds webp …", Out);
    }

    [Fact]
    public async Task Show_prints_the_diff_and_the_manifest()
    {
        var review = new ReviewInfo(
            TemplateCommandsTests.Version("1.1.0", "pending", "Adds webp"),
            "1.0.0",
            ["+ function thumbnail (nodejs20.x)", "- route GET /old", "~ memorySize 256 → 512"],
            """{"service":"resizer","provider":{"environment":{"API_KEY":"${param:apiKey}"}}}""");
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, review));

        var exitCode = await _cli.RunAsync("review", "show", "image-resizer@1.1.0");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("/api/v1/templates/image-resizer/versions/1.1.0/review", _cli.Http.Requests.Single().PathAndQuery);
        var lines = Out.Split(Environment.NewLine);
        var diff = lines.SkipWhile(l => l != "Changes since 1.0.0").Skip(1).Take(3).ToList();
        Assert.Equal(["  + function thumbnail (nodejs20.x)", "  - route GET /old", "  ~ memorySize 256 → 512"], diff);
        Assert.Contains(lines, l => l == "        \"API_KEY\": \"${param:apiKey}\"");
        Assert.DoesNotContain("\u001b[", Out);
    }

    [Fact]
    public async Task Show_colours_the_diff_on_a_terminal()
    {
        var review = new ReviewInfo(TemplateCommandsTests.Version("1.1.0", "pending"), null, ["+ added", "- removed", "~ changed"], "{}");
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, review));
        var context = _cli.Context;
        var terminal = new CliContext
        {
            Out = context.Out,
            Error = context.Error,
            OutIsTerminal = true,
            Environment = context.Environment,
            WorkingDirectory = context.WorkingDirectory,
            CreateHttpHandler = context.CreateHttpHandler,
        };

        var exitCode = await FerryCli.RunAsync(["review", "show", "image-resizer@1.1.0"], terminal);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("\u001b[32m+ added\u001b[0m", Out);
        Assert.Contains("\u001b[31m- removed\u001b[0m", Out);
        Assert.Contains("\u001b[33m~ changed\u001b[0m", Out);
    }

    [Fact]
    public async Task Approve_posts_the_comment_to_the_version()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, TemplateCommandsTests.Version("1.1.0", "approved")));

        var exitCode = await _cli.RunAsync("review", "approve", "image-resizer@1.1.0", "--comment", "LGTM");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = _cli.Http.Requests.Single();
        Assert.Equal("/api/v1/templates/image-resizer/versions/1.1.0/approve", request.PathAndQuery);
        Assert.Equal("LGTM", JsonSerializer.Deserialize<ReviewDecision>(request.Body, ApiJson.Options)!.Comment);
        Assert.Contains("image-resizer@1.1.0 is now approved.", Out);
    }

    [Theory]
    [InlineData]
    [InlineData("--comment", "  ")]
    public async Task Reject_requires_a_comment(params string[] comment)
    {
        var exitCode = await _cli.RunAsync(["review", "reject", "image-resizer@1.1.0", .. comment]);

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("--comment", Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task Reject_with_a_comment_posts_it()
    {
        _cli.Http.Respond(_ => StubHttpHandler.Json(HttpStatusCode.OK, TemplateCommandsTests.Version("1.1.0", "rejected")));

        var exitCode = await _cli.RunAsync("review", "reject", "image-resizer@1.1.0", "--comment", "Needs a smaller IAM role");

        Assert.Equal(ExitCodes.Success, exitCode);
        var request = _cli.Http.Requests.Single();
        Assert.Equal("/api/v1/templates/image-resizer/versions/1.1.0/reject", request.PathAndQuery);
        Assert.Equal("Needs a smaller IAM role", JsonSerializer.Deserialize<ReviewDecision>(request.Body, ApiJson.Options)!.Comment);
    }

    [Theory]
    [InlineData("image-resizer")]
    [InlineData("image-resizer@")]
    [InlineData("image-resizer@1.0")]
    [InlineData("acme/image-resizer@1.0.0")]
    public async Task Review_commands_need_a_name_and_a_valid_version(string reference)
    {
        var exitCode = await _cli.RunAsync("review", "approve", reference);

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains(reference, Error);
        Assert.Empty(_cli.Http.Requests);
    }

    [Fact]
    public async Task A_reviewer_only_answer_is_a_user_error()
    {
        _cli.Http.Respond(_ => StubHttpHandler.ApiError(HttpStatusCode.Forbidden, "forbidden", "this needs the reviewer role"));

        var exitCode = await _cli.RunAsync("review", "list");

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Contains("error: this needs the reviewer role", Error);
    }
}
