using Ferry.Server.Api;

namespace Ferry.Cli.Api;

/// <summary>The server's answer to <c>ferry template publish</c>.</summary>
/// <param name="AlreadyPublished">True when the server answered 200: this version was published before with identical content.</param>
internal sealed record TemplatePublication(TemplateVersionInfo Version, bool AlreadyPublished);
