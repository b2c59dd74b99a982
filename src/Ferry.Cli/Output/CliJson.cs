using System.Text.Json;
using Ferry.Server.Api;

namespace Ferry.Cli.Output;

/// <summary>JSON settings of the CLI's <c>--output json</c>: the API's (camelCase, enums as strings), indented or on one line.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Indented = new(ApiJson.Options) { WriteIndented = true };

    public static readonly JsonSerializerOptions Compact = new(ApiJson.Options) { WriteIndented = false };

    /// <summary>Re-indents <paramref name="text"/> when it is JSON; otherwise returns it as it is.</summary>
    public static string PrettyPrint(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return text;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
