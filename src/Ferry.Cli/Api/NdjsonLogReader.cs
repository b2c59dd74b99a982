using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Ferry.Server.Api;

namespace Ferry.Cli.Api;

/// <summary>
/// Reads the <c>application/x-ndjson</c> log stream: one <see cref="LogLine"/> JSON object per line. Blank lines are
/// the server's keep-alives and are skipped.
/// </summary>
internal static class NdjsonLogReader
{
    private const int MaxQuotedChars = 200;

    public static async IAsyncEnumerable<LogLine> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            yield return Parse(text);
        }
    }

    public static LogLine Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<LogLine>(text, ApiJson.Options)
                ?? throw new InvalidDataException($"The log stream sent 'null' where a log line object was expected.");
        }
        catch (JsonException e)
        {
            var quoted = text.Length <= MaxQuotedChars ? text : text[..MaxQuotedChars] + "…";
            throw new InvalidDataException($"The log stream sent a line that is not a log line object ({e.Message}): {quoted}", e);
        }
    }
}
