using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ferry.Manifest;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Ferry.Gateway.Events;

/// <summary>
/// Turns an event function's result into the HTTP response API Gateway would send, and writes it.
/// <list type="bullet">
/// <item>Payload format 2.0: a JSON object with <c>statusCode</c> is a structured response (<c>statusCode</c>,
/// <c>headers</c>, <c>cookies</c>, <c>body</c>, <c>isBase64Encoded</c>). Any other valid JSON value — a string, a number,
/// <c>null</c>, an object without <c>statusCode</c> — becomes a 200 <c>application/json</c> response whose body is
/// that JSON text as-is (a string result keeps its quotes).</item>
/// <item>Payload format 1.0: the result must be an object with <c>statusCode</c>; <c>headers</c> and
/// <c>multiValueHeaders</c> are merged, and a name in <c>multiValueHeaders</c> replaces the same name in <c>headers</c>.</item>
/// <item>Anything unusable (invalid JSON, a missing or invalid status code, malformed headers, invalid base64)
/// gives 502 with <c>{"message":"Internal server error"}</c>.</item>
/// </list>
/// A non-string <c>body</c> is passed through as its JSON text rather than rejected.
/// </summary>
public static class LambdaHttpResponse
{
    /// <summary>Hop-by-hop headers describe one connection; the gateway never copies them from a function.</summary>
    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Connection,
        HeaderNames.TransferEncoding,
        HeaderNames.KeepAlive,
        HeaderNames.Upgrade,
        HeaderNames.ProxyConnection,
    };

    /// <summary>Parses a function's result; an unusable result becomes <see cref="HttpResult.BadGateway"/>.</summary>
    /// <param name="resultJson">The function's result JSON.</param>
    /// <param name="payloadFormat"><see cref="HttpRoute.PayloadV2"/> or <see cref="HttpRoute.PayloadV1"/>.</param>
    public static HttpResult Parse(ReadOnlyMemory<byte> resultJson, string payloadFormat) =>
        TryParse(resultJson, payloadFormat, out HttpResult? result, out _) ? result : HttpResult.BadGateway();

    /// <summary>
    /// Parses a function's result, saying why when it is unusable (for the function's logs);
    /// callers answer <see cref="HttpResult.BadGateway"/> then.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="payloadFormat"/> is neither "1.0" nor "2.0".</exception>
    public static bool TryParse(
        ReadOnlyMemory<byte> resultJson,
        string payloadFormat,
        [NotNullWhen(true)] out HttpResult? result,
        [NotNullWhen(false)] out string? problem)
    {
        bool v2 = payloadFormat switch
        {
            HttpRoute.PayloadV2 => true,
            HttpRoute.PayloadV1 => false,
            _ => throw new ArgumentException(
                $"Payload format '{payloadFormat}' is not supported; expected '{HttpRoute.PayloadV1}' or '{HttpRoute.PayloadV2}'.",
                nameof(payloadFormat)),
        };

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(resultJson);
        }
        catch (JsonException ex)
        {
            result = null;
            problem = $"The function's result is not valid JSON: {ex.Message}";
            return false;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("statusCode", out JsonElement statusCode))
            {
                return TryParseStructured(root, statusCode, v2, out result, out problem);
            }

            if (v2)
            {
                result = HttpResult.Json(TrimWhitespace(resultJson.Span).ToArray());
                problem = null;
                return true;
            }

            result = null;
            problem = "The function's result has no statusCode; payload format 1.0 requires an object with statusCode, headers and body.";
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="result"/> to the client. Hop-by-hop headers and the function's Content-Length are
    /// dropped (the gateway sets Content-Length from the body); 1xx, 204 and 304 responses and HEAD requests get no body.
    /// </summary>
    /// <exception cref="InvalidOperationException">The response has already started.</exception>
    public static async Task WriteAsync(HttpResponse response, HttpResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(result);
        if (response.HasStarted)
        {
            throw new InvalidOperationException("Cannot write the function's response: the HTTP response has already started.");
        }

        response.StatusCode = result.StatusCode;
        foreach ((string name, string value) in result.Headers)
        {
            if (!HopByHopHeaders.Contains(name) && !name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Append(name, value);
            }
        }

        if (!StatusAllowsBody(result.StatusCode))
        {
            return;
        }

        response.ContentLength = result.Body.Length;
        if (result.Body.Length > 0 && !HttpMethods.IsHead(response.HttpContext.Request.Method))
        {
            await response.Body.WriteAsync(result.Body, cancellationToken);
        }
    }

    private static bool StatusAllowsBody(int statusCode) =>
        statusCode >= 200 && statusCode != StatusCodes.Status204NoContent && statusCode != StatusCodes.Status304NotModified;

    private static bool TryParseStructured(
        JsonElement root, JsonElement statusCodeElement, bool v2, [NotNullWhen(true)] out HttpResult? result, [NotNullWhen(false)] out string? problem)
    {
        result = null;
        if (!TryReadStatusCode(statusCodeElement, out int statusCode))
        {
            problem = $"The function's statusCode {statusCodeElement.GetRawText()} is not an HTTP status code (an integer from 100 to 599).";
            return false;
        }

        var headers = new List<KeyValuePair<string, string>>();
        HashSet<string>? multiValueNames = null;
        if (!v2 && root.TryGetProperty("multiValueHeaders", out JsonElement multiValueHeaders)
            && multiValueHeaders.ValueKind != JsonValueKind.Null)
        {
            if (!TryReadMultiValueHeaders(multiValueHeaders, headers, out problem))
            {
                return false;
            }

            multiValueNames = new HashSet<string>(headers.Select(h => h.Key), StringComparer.OrdinalIgnoreCase);
        }

        if (root.TryGetProperty("headers", out JsonElement singleHeaders) && singleHeaders.ValueKind != JsonValueKind.Null
            && !TryReadHeaders(singleHeaders, multiValueNames, headers, out problem))
        {
            return false;
        }

        if (v2 && root.TryGetProperty("cookies", out JsonElement cookies) && cookies.ValueKind != JsonValueKind.Null
            && !TryReadCookies(cookies, headers, out problem))
        {
            return false;
        }

        if (!TryReadBody(root, out byte[] body, out problem))
        {
            return false;
        }

        result = new HttpResult(statusCode, headers, body);
        return true;
    }

    private static bool TryReadStatusCode(JsonElement element, out int statusCode)
    {
        statusCode = 0;
        bool read = element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetInt32(out statusCode),
            JsonValueKind.String => int.TryParse(element.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out statusCode),
            _ => false,
        };
        return read && statusCode is >= 100 and <= 599;
    }

    private static bool TryReadHeaders(
        JsonElement headers, HashSet<string>? skip, List<KeyValuePair<string, string>> into, [NotNullWhen(false)] out string? problem)
    {
        if (headers.ValueKind != JsonValueKind.Object)
        {
            problem = $"The function's headers must be an object of name to value, not {headers.ValueKind}.";
            return false;
        }

        foreach (JsonProperty header in headers.EnumerateObject())
        {
            if (skip?.Contains(header.Name) == true || header.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (!TryAddHeader(header.Name, header.Value, into, out problem))
            {
                return false;
            }
        }

        problem = null;
        return true;
    }

    private static bool TryReadMultiValueHeaders(
        JsonElement headers, List<KeyValuePair<string, string>> into, [NotNullWhen(false)] out string? problem)
    {
        if (headers.ValueKind != JsonValueKind.Object)
        {
            problem = $"The function's multiValueHeaders must be an object of name to array of values, not {headers.ValueKind}.";
            return false;
        }

        foreach (JsonProperty header in headers.EnumerateObject())
        {
            if (header.Value.ValueKind != JsonValueKind.Array)
            {
                problem = $"The function's multiValueHeaders['{header.Name}'] must be an array, not {header.Value.ValueKind}.";
                return false;
            }

            foreach (JsonElement value in header.Value.EnumerateArray())
            {
                if (value.ValueKind != JsonValueKind.Null && !TryAddHeader(header.Name, value, into, out problem))
                {
                    return false;
                }
            }
        }

        problem = null;
        return true;
    }

    private static bool TryReadCookies(JsonElement cookies, List<KeyValuePair<string, string>> into, [NotNullWhen(false)] out string? problem)
    {
        if (cookies.ValueKind != JsonValueKind.Array)
        {
            problem = $"The function's cookies must be an array of Set-Cookie values, not {cookies.ValueKind}.";
            return false;
        }

        foreach (JsonElement cookie in cookies.EnumerateArray())
        {
            if (cookie.ValueKind != JsonValueKind.String)
            {
                problem = $"The function's cookies must be strings; found {cookie.ValueKind}.";
                return false;
            }

            if (!TryAddHeader(HeaderNames.SetCookie, cookie, into, out problem))
            {
                return false;
            }
        }

        problem = null;
        return true;
    }

    /// <summary>Adds a header whose value is a JSON string, number or boolean, checking that HTTP can carry it.</summary>
    private static bool TryAddHeader(string name, JsonElement value, List<KeyValuePair<string, string>> into, [NotNullWhen(false)] out string? problem)
    {
        string? text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };

        if (text is null)
        {
            problem = $"The function's header '{name}' must be a string, number or boolean, not {value.ValueKind}.";
            return false;
        }

        if (!IsToken(name))
        {
            problem = $"The function's header name '{name}' is not a valid HTTP header name.";
            return false;
        }

        if (!IsVisibleAscii(text))
        {
            problem = $"The function's header '{name}' has a value with control or non-ASCII characters, which HTTP/1.1 cannot carry.";
            return false;
        }

        into.Add(new KeyValuePair<string, string>(name, text));
        problem = null;
        return true;
    }

    private static bool TryReadBody(JsonElement root, out byte[] body, [NotNullWhen(false)] out string? problem)
    {
        body = [];
        problem = null;
        if (!root.TryGetProperty("body", out JsonElement bodyElement) || bodyElement.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (bodyElement.ValueKind != JsonValueKind.String)
        {
            body = Encoding.UTF8.GetBytes(bodyElement.GetRawText());
            return true;
        }

        bool base64 = root.TryGetProperty("isBase64Encoded", out JsonElement flag)
            && (flag.ValueKind == JsonValueKind.True
                || (flag.ValueKind == JsonValueKind.String && string.Equals(flag.GetString(), "true", StringComparison.OrdinalIgnoreCase)));
        if (!base64)
        {
            body = Encoding.UTF8.GetBytes(bodyElement.GetString()!);
            return true;
        }

        if (!bodyElement.TryGetBytesFromBase64(out byte[]? decoded))
        {
            problem = "The function's body is marked isBase64Encoded but is not valid base64.";
            return false;
        }

        body = decoded;
        return true;
    }

    /// <summary>RFC 9110 token: the characters a header name may have.</summary>
    private static bool IsToken(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !"!#$%&'*+-.^_`|~".Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsVisibleAscii(string value)
    {
        foreach (char c in value)
        {
            if (c != '\t' && (c < 0x20 || c > 0x7E))
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> json) => json.Trim(" \t\r\n"u8);
}
