using System.Buffers;
using System.Text.Json;
using Ferry.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ferry.Gateway.Events;

/// <summary>
/// Builds the event a REST API (<c>http</c>) route sends to its function: API Gateway's payload format 1.0.
/// </summary>
public static class RestApiEventV1
{
    /// <summary>
    /// Serializes the request as a payload format 1.0 event (UTF-8 JSON).
    /// <para>
    /// <c>path</c> is the path after Ferry's <c>/{service}/{stage}</c> prefix (<see cref="GatewayAddress.RemainingPath"/>);
    /// <c>requestContext.path</c> is the full public path including the prefix, as on AWS where it includes the stage
    /// (through a custom domain: the path the client requested, base path included).
    /// <c>resource</c> is the declared route path (<c>$default</c> for the catch-all route).
    /// </para>
    /// Single-value maps (<c>headers</c>, <c>queryStringParameters</c>) hold the last value of a repeated name;
    /// the multi-value maps hold them all. Empty maps and an empty body are null.
    /// </summary>
    public static byte[] Build(HttpRequest request, byte[] body, RouteMatch match, GatewayAddress address, RequestContextInfo info)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(info);

        string resource = match.Route.Path == "*" ? "$default" : match.Route.Path;
        string userAgent = request.Headers.UserAgent.ToString();

        var buffer = new ArrayBufferWriter<byte>(EventWriting.SizeHint(body.Length));
        using (Utf8JsonWriter writer = EventWriting.CreateWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("version", "1.0");
            writer.WriteString("resource", resource);
            writer.WriteString("path", address.RemainingPath);
            writer.WriteString("httpMethod", request.Method);
            WriteValueMaps(writer, "headers", "multiValueHeaders", request.Headers);
            WriteValueMaps(writer, "queryStringParameters", "multiValueQueryStringParameters", request.Query);
            WritePathParameters(writer, match.PathParameters);
            writer.WriteNull("stageVariables");

            writer.WriteStartObject("requestContext");
            writer.WriteString("accountId", info.AccountId);
            writer.WriteString("apiId", address.Service);
            writer.WriteString("resourcePath", resource);
            writer.WriteString("httpMethod", request.Method);
            writer.WriteString("path", address.PublicPrefix + address.RemainingPath);
            writer.WriteString("protocol", request.Protocol);
            writer.WriteString("stage", info.Stage);
            writer.WriteString("domainName", info.DomainName);
            writer.WriteString("requestId", info.RequestId);
            writer.WriteString("requestTime", EventWriting.FormatRequestTime(info.Time));
            writer.WriteNumber("requestTimeEpoch", info.Time.ToUnixTimeMilliseconds());
            writer.WriteStartObject("identity");
            writer.WriteString("sourceIp", info.SourceIp);
            writer.WriteString("userAgent", userAgent);
            if (match.Route.Private)
            {
                // The key the gateway accepted, as API Gateway passes it for methods that require one.
                writer.WriteString("apiKey", request.Headers["x-api-key"].ToString());
            }

            writer.WriteEndObject();
            writer.WriteEndObject();

            EventWriting.WriteBody(writer, request.ContentType, body, omitWhenEmpty: false);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteValueMaps(
        Utf8JsonWriter writer, string singleName, string multiName, IEnumerable<KeyValuePair<string, StringValues>> values)
    {
        if (!values.Any())
        {
            writer.WriteNull(singleName);
            writer.WriteNull(multiName);
            return;
        }

        writer.WriteStartObject(singleName);
        foreach ((string name, StringValues value) in values)
        {
            writer.WriteString(name, value.Count == 0 ? string.Empty : value[^1]);
        }

        writer.WriteEndObject();

        writer.WriteStartObject(multiName);
        foreach ((string name, StringValues value) in values)
        {
            writer.WriteStartArray(name);
            foreach (string? item in value)
            {
                writer.WriteStringValue(item);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WritePathParameters(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> parameters)
    {
        if (parameters.Count == 0)
        {
            writer.WriteNull("pathParameters");
            return;
        }

        writer.WriteStartObject("pathParameters");
        foreach ((string name, string value) in parameters)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }
}
