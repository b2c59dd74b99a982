using Ferry.Cli.Api;
using Ferry.Cli.Output;
using Ferry.Manifest;
using Ferry.Packaging;
using Ferry.Server.Api;

namespace Ferry.Cli;

/// <summary>
/// Turns an exception that ended a command into lines on stderr and an exit code (see <see cref="ExitCodes"/>).
/// Stack traces appear only for unexpected exceptions and only with FERRY_DEBUG=1.
/// </summary>
internal static class ErrorReporter
{
    public static int Report(Exception exception, CliContext context, CancellationToken cancellationToken)
    {
        var error = context.Error;
        var label = Ansi.Paint("error:", AnsiStyle.Red, context.ColorError);
        switch (exception)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                error.WriteLine("Cancelled.");
                return ExitCodes.Cancelled;

            case ManifestException manifest:
                foreach (var diagnostic in manifest.Errors)
                {
                    error.WriteLine(FormatDiagnostic(diagnostic, label));
                }

                return ExitCodes.UserError;

            case CliUserException or ArchiveException:
                error.WriteLine($"{label} {exception.Message}");
                return ExitCodes.UserError;

            case FerryApiException api:
                WriteApiError(api, label, error);
                return api.IsClientError ? ExitCodes.UserError : ExitCodes.ServerError;

            case FerryUnreachableException:
                error.WriteLine($"{label} {exception.Message}");
                return ExitCodes.ServerError;

            default:
                error.WriteLine($"{label} {exception.Message}");
                if (context.Debug)
                {
                    error.WriteLine(exception.ToString());
                }
                else
                {
                    error.WriteLine("(set FERRY_DEBUG=1 for details)");
                }

                return ExitCodes.ServerError;
        }
    }

    /// <summary><c>file:line:col: error: message</c>, or <c>error: message</c> when the location is unknown.</summary>
    public static string FormatDiagnostic(ManifestDiagnostic diagnostic, string label = "error:")
        => diagnostic.Location is { } location ? $"{location}: {label} {diagnostic.Message}" : $"{label} {diagnostic.Message}";

    /// <summary>Formats one detail of an <see cref="ApiErrorBody"/> like a compiler message when it has a file.</summary>
    public static string FormatDetail(ApiErrorDetail detail)
    {
        if (detail.File is null)
        {
            return detail.Message;
        }

        var where = detail.File;
        if (detail.Line is { } line)
        {
            where += $":{line}";
            if (detail.Column is { } column)
            {
                where += $":{column}";
            }
        }

        return $"{where}: {detail.Message}";
    }

    private static void WriteApiError(FerryApiException api, string label, TextWriter error)
    {
        var status = (int)api.StatusCode;
        error.WriteLine(api.IsClientError
            ? $"{label} {api.Error.Message}"
            : $"{label} Ferry server error ({status} {api.Error.Code}): {api.Error.Message}");
        // A server that has one problem may also list it as the only detail; it is printed once.
        foreach (var detail in (api.Error.Details ?? []).Where(d => d.File is not null || d.Message != api.Error.Message))
        {
            error.WriteLine("  " + FormatDetail(detail));
        }
    }
}
