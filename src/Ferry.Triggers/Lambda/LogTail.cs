using System.Text;

namespace Ferry.Triggers.Lambda;

/// <summary>The <c>X-Amz-Log-Result</c> value: base64 of the last 4 KB of an invocation's log, one line per line.</summary>
public static class LogTail
{
    public const int MaxBytes = 4096;

    public static string Encode(IEnumerable<string> lines, int maxBytes = MaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        var start = Math.Max(0, bytes.Length - maxBytes);

        // Never start inside a multi-byte character: skip UTF-8 continuation bytes (10xxxxxx).
        while (start < bytes.Length && (bytes[start] & 0xC0) == 0x80)
        {
            start++;
        }

        return Convert.ToBase64String(bytes, start, bytes.Length - start);
    }
}
