using System.Text;

namespace Ferry.Resources.Buckets;

/// <summary>Object key rules: S3 allows any UTF-8 text of 1–1024 bytes; keys never become file names here.</summary>
public static class ObjectKeys
{
    public const int MaxKeyBytes = 1024;

    /// <summary>Orders keys by their UTF-8 bytes, as S3 lists them.</summary>
    public static readonly IComparer<string> Utf8Order = new Utf8OrderComparer();

    public static void Validate(string key)
    {
        if (key.Length == 0)
        {
            throw S3Exception.InvalidArgument("The object key must not be empty");
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            throw S3Exception.InvalidArgument("The object key is not valid Unicode text (it contains a lone surrogate)");
        }

        if (bytes > MaxKeyBytes)
        {
            throw S3Exception.KeyTooLong(bytes);
        }
    }

    /// <summary>Decodes bytes that must be UTF-8 (a percent-decoded key), refusing invalid sequences.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw S3Exception.InvalidArgument($"The {what} is not valid UTF-8");
        }
    }

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// UTF-16 ordinal order differs from UTF-8 byte (code point) order only where surrogates meet U+E000–U+FFFF:
    /// moving surrogates above the rest of the BMP fixes that without encoding.
    /// </summary>
    private sealed class Utf8OrderComparer : IComparer<string>
    {
        public int Compare(string? x, string? y)
        {
            if (x is null || y is null)
            {
                return x is null ? (y is null ? 0 : -1) : 1;
            }

            var length = Math.Min(x.Length, y.Length);
            for (var i = 0; i < length; i++)
            {
                if (x[i] != y[i])
                {
                    return Weight(x[i]).CompareTo(Weight(y[i]));
                }
            }

            return x.Length.CompareTo(y.Length);
        }

        private static int Weight(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
