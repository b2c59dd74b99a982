using System.Buffers;
using System.Text.Json;
using Ferry.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Ferry.Gateway.Events;

/// <summary>
/// Builds the event an HTTP API (<c>httpApi</c>) route sends to its function: API Gateway's payload format 2.0.
/// </summary>
public static class HttpApiEventV2
{
    /// <summary>
    /// Serializes the request as a payload format 2.0 event (UTF-8 JSON).
    /// <para>
    /// <c>rawPath</c> and <c>requestContext.http.path</c> hold the path <em>after</em> Ferry's
    /// <c>/{service}/{stage}</c> prefix (<see cref="GatewayAddress.RemainingPath"/>), so an app sees the same paths
    /// it declared in its routes, as it would behind a custom domain or the <c>$default</c> stage on AWS.
    /// </para>
    /// Headers are lower-cased and repeated values joined with <c>,</c>; the Cookie header moves to <c>cookies</c>.
    /// Query values are decoded and repeated values joined with <c>,</c>. Empty collections and an empty body are left out.
    /// </summary>
    public static byte[] Build(HttpRequest request, byte[] body, RouteMatch match, GatewayAddress address, RequestContextInfo info)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(info);

        var buffer = new ArrayBufferWriter<byte>(EventWriting.SizeHint(body.Length));
        using (Utf8JsonWriter writer = EventWriting.CreateWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("version", "2.0");
            writer.WriteString("routeKey", match.RouteKey);
            writer.WriteString("rawPath", address.RemainingPath);
            writer.WriteString("rawQueryString", EventWriting.RawQueryString(request));
            WriteCookies(writer, request.Headers);
            WriteHeaders(writer, request.Headers);
            WriteQuery(writer, request.Query);
            WritePathParameters(writer, match.PathParameters);
            WriteRequestContext(writer, request, match, address, info);
            EventWriting.WriteBody(writer, request.ContentType, body, omitWhenEmpty: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteCookies(Utf8JsonWriter writer, IHeaderDictionary headers)
    {
        var cookieHeaders = headers.Cookie;
        if (cookieHeaders.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("cookies");
        foreach (string? header in cookieHeaders)
        {
            foreach (Range range in header.AsSpan().Split(';'))
            {
                ReadOnlySpan<char> cookie = header.AsSpan()[range].Trim();
                if (!cookie.IsEmpty)
                {
                    writer.WriteStringValue(cookie);
                }
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteHeaders(Utf8JsonWriter writer, IHeaderDictionary headers)
    {
        writer.WriteStartObject("headers");
        foreach ((string name, var values) in headers)
        {
            if (name.Equals(HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // StringValues.ToString() joins repeated values with ','.
            writer.WriteString(name.ToLowerInvariant(), values.ToString());
        }

        writer.WriteEndObject();
    }

    private static void WriteQuery(Utf8JsonWriter writer, IQueryCollection query)
    {
        if (query.Count == 0)
        {
            return;
        }

        writer.WriteStartObject("queryStringParameters");
        foreach ((string name, var values) in query)
        {
            writer.WriteString(name, values.ToString());
        }

        writer.WriteEndObject();
    }

    private static void WritePathParameters(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> parameters)
    {
        if (parameters.Count == 0)
        {
            return;
        }

        writer.WriteStartObject("pathParameters");
        foreach ((string name, string value) in parameters)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteRequestContext(
        Utf8JsonWriter writer, HttpRequest request, RouteMatch match, GatewayAddress address, RequestContextInfo info)
    {
        writer.WriteStartObject("requestContext");
        writer.WriteString("accountId", info.AccountId);
        writer.WriteString("apiId", address.Service);
        writer.WriteString("domainName", info.DomainName);
        writer.WriteString("domainPrefix", DomainPrefix(info.DomainName));

        writer.WriteStartObject("http");
        writer.WriteString("method", request.Method);
        writer.WriteString("path", address.RemainingPath);
        writer.WriteString("protocol", request.Protocol);
        writer.WriteString("sourceIp", info.SourceIp);
        writer.WriteString("userAgent", request.Headers.UserAgent.ToString());
        writer.WriteEndObject();

        writer.WriteString("requestId", info.RequestId);
        writer.WriteString("routeKey", match.RouteKey);
        writer.WriteString("stage", info.Stage);
        writer.WriteString("time", EventWriting.FormatRequestTime(info.Time));
        writer.WriteNumber("timeEpoch", info.Time.ToUnixTimeMilliseconds());
        writer.WriteEndObject();
    }

    /// <summary>The first label of the host, without a port: <c>api</c> for <c>api.example.com:8080</c>.</summary>
    private static string DomainPrefix(string domainName)
    {
        int end = domainName.AsSpan().IndexOfAny('.', ':');
        return end < 0 ? domainName : domainName[..end];
    }
}
