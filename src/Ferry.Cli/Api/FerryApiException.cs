using System.Net;
using Ferry.Server.Api;

namespace Ferry.Cli.Api;

/// <summary>The Ferry server answered with an error status; <see cref="Error"/> is its <see cref="ApiError"/> body.</summary>
internal sealed class FerryApiException(HttpStatusCode statusCode, ApiErrorBody error)
    : Exception($"{(int)statusCode} {error.Code}: {error.Message}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public ApiErrorBody Error { get; } = error;

    /// <summary>4xx: the request was wrong (unknown app, invalid manifest, too large); 5xx is the server's fault.</summary>
    public bool IsClientError => (int)StatusCode is >= 400 and < 500;
}

/// <summary>No answer from the Ferry server: connection refused, DNS failure, timeout.</summary>
internal sealed class FerryUnreachableException(Uri serverUrl, string reason, Exception? innerException = null)
    : Exception($"cannot reach Ferry at {serverUrl.AbsoluteUri.TrimEnd('/')}: {reason} (is `ferry server` running? set FERRY_URL)", innerException)
{
    public Uri ServerUrl { get; } = serverUrl;
    public string Reason { get; } = reason;
}
