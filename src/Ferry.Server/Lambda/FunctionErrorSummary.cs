using System.Text;
using System.Text.Json;

namespace Ferry.Server.Lambda;

internal static class FunctionErrorSummary
{
    /// <summary>"errorType: errorMessage" from a function's error JSON (which may not be JSON at all).</summary>
    public static string Of(ReadOnlyMemory<byte> payload, string? errorType)
    {
        string? message = null;
        var type = errorType;
        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (document.RootElement.TryGetProperty("errorMessage", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    message = m.GetString();
                }

                if (document.RootElement.TryGetProperty("errorType", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    type = t.GetString();
                }
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(payload.Span[..Math.Min(payload.Length, 1024)]);
        }

        return $"{type ?? "Error"}: {message ?? "(no message)"}";
    }
}
