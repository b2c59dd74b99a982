using System.Net;
using Ferry.Cli.Api;
using Ferry.Cli.Tests.Support;
using Ferry.Manifest;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests;

public sealed class ErrorReporterTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private int Report(Exception exception, CancellationToken cancellationToken = default)
        => ErrorReporter.Report(exception, _cli.Context, cancellationToken);

    private string[] ErrorLines => _cli.Error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Manifest_errors_are_printed_like_compiler_errors_with_exit_code_1()
    {
        var exception = new ManifestException(
        [
            new ManifestDiagnostic(new SourceLocation("serverless.yml", 4, 12), "runtime 'cobol' is not supported"),
            new ManifestDiagnostic(new SourceLocation("serverless.yml", 9, 3), "function name 'Bad Name' is invalid"),
            new ManifestDiagnostic(null, "service is missing"),
        ]);

        var exitCode = Report(exception);

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Equal(
            [
                "serverless.yml:4:12: error: runtime 'cobol' is not supported",
                "serverless.yml:9:3: error: function name 'Bad Name' is invalid",
                "error: service is missing",
            ],
            ErrorLines);
    }

    [Fact]
    public void A_client_error_prints_the_server_message_and_each_detail_with_its_location()
    {
        var exception = new FerryApiException(HttpStatusCode.UnprocessableEntity, new ApiErrorBody(
            "manifest_invalid",
            "The manifest is invalid.",
            [new ApiErrorDetail("handler file not found", "serverless.yml", 7, 5), new ApiErrorDetail("too many functions")]));

        var exitCode = Report(exception);

        Assert.Equal(ExitCodes.UserError, exitCode);
        Assert.Equal(
            ["error: The manifest is invalid.", "  serverless.yml:7:5: handler file not found", "  too many functions"],
            ErrorLines);
    }

    [Fact]
    public void A_server_error_exits_with_2_and_says_it_is_the_servers_fault()
    {
        var exitCode = Report(new FerryApiException(HttpStatusCode.InternalServerError, new ApiErrorBody("internal", "disk full")));

        Assert.Equal(ExitCodes.ServerError, exitCode);
        Assert.Equal("error: Ferry server error (500 internal): disk full", Assert.Single(ErrorLines));
    }

    [Fact]
    public void An_unreachable_server_exits_with_2_and_a_hint()
    {
        var exitCode = Report(new FerryUnreachableException(new Uri("http://127.0.0.1:8080/"), "Connection refused"));

        Assert.Equal(ExitCodes.ServerError, exitCode);
        Assert.Equal(
            "error: cannot reach Ferry at http://127.0.0.1:8080: Connection refused (is `ferry server` running? set FERRY_URL)",
            Assert.Single(ErrorLines));
    }

    [Fact]
    public void An_unexpected_exception_shows_its_message_but_no_stack_trace()
    {
        var exitCode = Report(Thrown(new InvalidOperationException("state is weird")));

        Assert.Equal(ExitCodes.ServerError, exitCode);
        Assert.Equal("error: state is weird", ErrorLines[0]);
        Assert.DoesNotContain(" at ", _cli.Error.ToString());
    }

    [Fact]
    public void FERRY_DEBUG_shows_the_stack_trace_of_unexpected_exceptions()
    {
        _cli.Environment["FERRY_DEBUG"] = "1";

        Report(Thrown(new InvalidOperationException("state is weird")));

        Assert.Contains(nameof(Thrown), _cli.Error.ToString());
    }

    [Fact]
    public void Cancellation_by_the_user_exits_with_130()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Equal(ExitCodes.Cancelled, Report(new OperationCanceledException(cancelled.Token), cancelled.Token));
    }

    [Fact]
    public void User_mistakes_exit_with_1()
    {
        Assert.Equal(ExitCodes.UserError, Report(new CliUserException("No service manifest at /x/serverless.yml")));
        Assert.Equal("error: No service manifest at /x/serverless.yml", Assert.Single(ErrorLines));
    }

    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }
}
