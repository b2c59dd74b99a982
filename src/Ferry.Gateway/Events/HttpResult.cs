using System.Text;

namespace Ferry.Gateway.Events;

/// <summary>An HTTP response decoded from a function's result, ready to write to the client.</summary>
/// <param name="StatusCode">The status code.</param>
/// <param name="Headers">Headers in order; a name may repeat (e.g. several <c>Set-Cookie</c>).</param>
/// <param name="Body">The body bytes (already base64-decoded when the function sent them encoded).</param>
public sealed record HttpResult(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    private const string JsonContentType = "application/json";

    /// <summary>
    /// What API Gateway answers when a function's result is not a usable response:
    /// 502 with <c>{"message":"Internal server error"}</c>.
    /// </summary>
    public static HttpResult BadGateway() => new(
        502,
        [new("Content-Type", JsonContentType)],
        Encoding.UTF8.GetBytes("""{"message":"Internal server error"}"""));

    /// <summary>A 200 response whose body is the given JSON text.</summary>
    internal static HttpResult Json(byte[] json) => new(200, [new("Content-Type", JsonContentType)], json);
}
