using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Events;

/// <summary>What the v1 and v2 event builders share: the JSON writer setup, body encoding and time formats.</summary>
internal static class EventWriting
{
    /// <summary>
    /// API Gateway escapes only what JSON requires; so do we, which keeps bodies with HTML or non-ASCII text readable.
    /// The output is an event for a function, never embedded in a web page.
    /// </summary>
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> buffer) => new(buffer, WriterOptions);

    /// <summary>A generous estimate of the event size, so the buffer rarely grows: base64 grows bodies by 4/3.</summary>
    public static int SizeHint(int bodyLength) => 2048 + (bodyLength / 3 * 4) + 4;

    /// <summary>
    /// Writes <c>body</c> and <c>isBase64Encoded</c>: text bodies (see <see cref="IsTextContentType"/>) that are valid
    /// UTF-8 go as a string, everything else as base64. An empty body is written as null, or left out when
    /// <paramref name="omitWhenEmpty"/> is set.
    /// </summary>
    public static void WriteBody(Utf8JsonWriter writer, string? contentType, ReadOnlySpan<byte> body, bool omitWhenEmpty)
    {
        bool base64 = false;
        if (body.IsEmpty)
        {
            if (!omitWhenEmpty)
            {
                writer.WriteNull("body");
            }
        }
        else if (IsTextContentType(contentType) && Utf8.IsValid(body))
        {
            writer.WriteString("body", body);
        }
        else
        {
            writer.WriteBase64String("body", body);
            base64 = true;
        }

        writer.WriteBoolean("isBase64Encoded", base64);
    }

    /// <summary>
    /// True for content types whose bodies API Gateway passes as text: none at all, <c>text/*</c>,
    /// JSON (<c>application/json</c>, <c>application/*+json</c>), XML (<c>application/xml</c>, <c>application/*+xml</c>),
    /// <c>application/x-www-form-urlencoded</c> and <c>application/javascript</c>.
    /// </summary>
    public static bool IsTextContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        ReadOnlySpan<char> mediaType = contentType.AsSpan();
        int parameters = mediaType.IndexOf(';');
        if (parameters >= 0)
        {
            mediaType = mediaType[..parameters];
        }

        mediaType = mediaType.Trim();
        if (mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        ReadOnlySpan<char> subtype = mediaType["application/".Length..];
        return subtype.Equals("json", StringComparison.OrdinalIgnoreCase)
            || subtype.Equals("xml", StringComparison.OrdinalIgnoreCase)
            || subtype.Equals("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || subtype.Equals("javascript", StringComparison.OrdinalIgnoreCase)
            || subtype.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || subtype.EndsWith("+xml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The CLF-style time API Gateway puts in <c>requestContext</c>: <c>12/Mar/2020:19:03:58 +0000</c>.</summary>
    public static string FormatRequestTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);

    /// <summary>The query string without its leading <c>?</c>, still URI-escaped; empty when there is none.</summary>
    public static string RawQueryString(HttpRequest request)
    {
        string? query = request.QueryString.Value;
        return string.IsNullOrEmpty(query) ? string.Empty : query[1..];
    }
}
