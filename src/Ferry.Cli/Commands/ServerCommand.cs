using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Server;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry server</c>: runs the API, the gateway and the function instances until Ctrl+C.</summary>
internal static class ServerCommand
{
    public const string DataVariable = "FERRY_DATA";
    public const string DefaultDataDirectory = ".ferry-data";

    public static Command Create(CliContext context)
    {
        var urls = new Option<string[]>("--urls")
        {
            Description = $"URL(s) to listen on, separated by ';' or repeated; the first is the public base URL (default {GlobalOptions.DefaultServerUrl})",
            HelpName = "url",
            Arity = ArgumentArity.ZeroOrMore,
        };
        urls.Validators.Add(result =>
        {
            foreach (var url in SplitUrls(result.Tokens.Select(token => token.Value)))
            {
                if (!IsHttpUrl(url))
                {
                    result.AddError($"--urls '{url}' is not an absolute http:// or https:// URL.");
                }
            }
        });
        var data = new Option<string?>("--data")
        {
            Description = $"Folder for the database, artifacts and revisions (default: ${DataVariable}, else ./{DefaultDataDirectory})",
            HelpName = "dir",
        };
        var insecure = new Option<bool>("--insecure-no-sandbox")
        {
            Description = "Run functions as plain processes when bubblewrap is missing (unsafe: functions can read your files)",
        };

        var command = new Command("server", "Run the Ferry server (REST API, HTTP gateway and function instances) until Ctrl+C")
        {
            urls, data, insecure,
        };
        command.SetReportingAction(context, (parseResult, cancellationToken) =>
        {
            var options = BuildOptions(
                context,
                parseResult.GetValue(urls) ?? [],
                parseResult.GetValue(data),
                parseResult.GetValue(insecure));
            return FerryServerHost.RunAsync(options, cancellationToken);
        });
        return command;
    }

    /// <summary>Resolves the command's options against the environment and working directory.</summary>
    public static FerryServerOptions BuildOptions(CliContext context, IReadOnlyList<string> urls, string? dataDirectory, bool insecureNoSandbox)
    {
        var listen = SplitUrls(urls).ToList();
        var data = !string.IsNullOrWhiteSpace(dataDirectory) ? dataDirectory
            : context.Environment(DataVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultDataDirectory;
        return new FerryServerOptions
        {
            Urls = listen.Count > 0 ? listen : [GlobalOptions.DefaultServerUrl],
            DataDirectory = context.ResolvePath(data),
            InsecureNoSandbox = insecureNoSandbox,
        };
    }

    private static IEnumerable<string> SplitUrls(IEnumerable<string> values)
        => values.SelectMany(value => value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Kestrel also accepts <c>*</c> and <c>+</c> as "any address" hosts.</summary>
    private static bool IsHttpUrl(string text)
    {
        var normalized = text.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);
    }
}
