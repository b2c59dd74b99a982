using System.CommandLine;
using Ferry.Cli.Api;

namespace Ferry.Cli.Options;

/// <summary>Options every command accepts, and what they resolve to.</summary>
internal sealed class GlobalOptions
{
    public const string DefaultServerUrl = "http://127.0.0.1:8080";
    public const string UrlVariable = "FERRY_URL";
    public const string TokenVariable = "FERRY_TOKEN";

    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"URL of the Ferry server (overrides ${UrlVariable}; default {DefaultServerUrl}); ${TokenVariable} is sent as a bearer token",
        HelpName = "url",
        Recursive = true,
    };

    /// <summary>--url, else FERRY_URL, else the default; must be an absolute http(s) URL.</summary>
    public Uri ResolveServerUrl(ParseResult parseResult, CliContext context)
    {
        var fromOption = parseResult.GetValue(Url);
        var text = !string.IsNullOrWhiteSpace(fromOption) ? fromOption
            : context.Environment(UrlVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultServerUrl;
        var source = !string.IsNullOrWhiteSpace(fromOption) ? "--url" : text == DefaultServerUrl ? "the default URL" : UrlVariable;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliUserException($"{source} '{text}' is not an absolute http:// or https:// URL.");
        }

        return url;
    }

    public FerryApiClient CreateClient(ParseResult parseResult, CliContext context)
        => FerryApiClient.Create(ResolveServerUrl(parseResult, context), context.Environment(TokenVariable), context.CreateHttpHandler());
}
