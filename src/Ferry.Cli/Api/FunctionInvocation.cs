namespace Ferry.Cli.Api;

/// <summary>What <c>POST …/functions/{fn}/invoke</c> answered.</summary>
/// <param name="Body">The function's raw result.</param>
/// <param name="FunctionError">The <c>X-Ferry-Function-Error</c> header (e.g. <c>Unhandled</c>); null when the handler succeeded.</param>
internal sealed record FunctionInvocation(string Body, string? ContentType, string? RequestId, string? FunctionError)
{
    public const string FunctionErrorHeader = "X-Ferry-Function-Error";
    public const string RequestIdHeader = "X-Ferry-Request-Id";

    public bool Failed => FunctionError is not null;
}
