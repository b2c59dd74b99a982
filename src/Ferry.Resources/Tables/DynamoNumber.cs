using System.Globalization;
using System.Numerics;
using System.Text;

namespace Ferry.Resources.Tables;

/// <summary>
/// A DynamoDB number: up to 38 significant digits, magnitude 1E-130 to 9.99…E+125, held exactly as
/// <c>0.DIGITS × 10^Exponent</c> (no leading or trailing zeros in DIGITS). Numbers compare numerically, add exactly,
/// print in plain decimal notation, and encode to bytes whose byte order is their numeric order (for sort keys).
/// </summary>
internal readonly record struct DynamoNumber(int Sign, string Digits, int Exponent) : IComparable<DynamoNumber>
{
    public const int MaxDigits = 38;
    private const int MinScientificExponent = -130;
    private const int MaxScientificExponent = 125;

    public static DynamoNumber Zero { get; } = new(0, "", 0);

    /// <exception cref="DynamoDbException">The text is not a number or is outside DynamoDB's range.</exception>
    public static DynamoNumber Parse(string text)
    {
        if (!TryParse(text, out var number, out var problem))
        {
            throw DynamoDbException.Validation(problem);
        }

        return number;
    }

    public static bool TryParse(string text, out DynamoNumber number, out string problem)
    {
        number = Zero;
        problem = "";
        var s = text.Trim();
        var position = 0;
        var sign = 1;
        if (position < s.Length && s[position] is '+' or '-')
        {
            sign = s[position] == '-' ? -1 : 1;
            position++;
        }

        var digits = new StringBuilder();
        var pointAt = -1;
        var sawDigit = false;
        for (; position < s.Length; position++)
        {
            var c = s[position];
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
                sawDigit = true;
            }
            else if (c == '.' && pointAt < 0)
            {
                pointAt = digits.Length;
            }
            else
            {
                break;
            }
        }

        var exponent = 0L;
        if (position < s.Length && s[position] is 'e' or 'E')
        {
            position++;
            if (!long.TryParse(s.AsSpan(position), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || Math.Abs(exponent) > 100_000)
            {
                problem = $"The parameter cannot be converted to a numeric value: {Shorten(text)}";
                return false;
            }

            position = s.Length;
        }

        if (!sawDigit || position != s.Length || s.Length > 1000)
        {
            problem = $"The parameter cannot be converted to a numeric value: {Shorten(text)}";
            return false;
        }

        // value = 0.D1D2… × 10^(integerDigits + exponent)
        var all = digits.ToString();
        var integerDigits = pointAt < 0 ? all.Length : pointAt;
        var leading = 0;
        while (leading < all.Length && all[leading] == '0')
        {
            leading++;
        }

        var significant = all[leading..].TrimEnd('0');
        if (significant.Length == 0)
        {
            return true;
        }

        if (significant.Length > MaxDigits)
        {
            problem = $"Attempting to store more than 38 significant digits in a Number: {Shorten(text)}";
            return false;
        }

        var e = integerDigits - leading + exponent;
        if (e - 1 > MaxScientificExponent)
        {
            problem = $"Number overflow. Attempting to store a number with magnitude larger than supported range: {Shorten(text)}";
            return false;
        }

        if (e - 1 < MinScientificExponent)
        {
            problem = $"Number underflow. Attempting to store a number with magnitude smaller than supported range: {Shorten(text)}";
            return false;
        }

        number = new DynamoNumber(sign, significant, (int)e);
        return true;
    }

    public int CompareTo(DynamoNumber other)
    {
        if (Sign != other.Sign)
        {
            return Sign.CompareTo(other.Sign);
        }

        if (Sign == 0)
        {
            return 0;
        }

        var magnitude = Exponent != other.Exponent ? Exponent.CompareTo(other.Exponent) : string.CompareOrdinal(Digits, other.Digits);
        return Sign * Math.Sign(magnitude);
    }

    public DynamoNumber Add(DynamoNumber other)
    {
        var (a, scaleA) = Scaled();
        var (b, scaleB) = other.Scaled();
        var scale = Math.Min(scaleA, scaleB);
        var sum = a * BigInteger.Pow(10, scaleA - scale) + b * BigInteger.Pow(10, scaleB - scale);
        return Parse(sum.ToString(CultureInfo.InvariantCulture) + "E" + scale.ToString(CultureInfo.InvariantCulture));
    }

    public DynamoNumber Negate() => this with { Sign = -Sign };

    /// <summary>value = mantissa × 10^scale.</summary>
    private (BigInteger Mantissa, int Scale) Scaled() => Sign == 0
        ? (BigInteger.Zero, 0)
        : (Sign * BigInteger.Parse(Digits, CultureInfo.InvariantCulture), Exponent - Digits.Length);

    /// <summary>Plain decimal notation, as DynamoDB returns numbers ("1.5", "-0.001", "1200").</summary>
    public override string ToString()
    {
        if (Sign == 0)
        {
            return "0";
        }

        var text = Exponent >= Digits.Length ? Digits + new string('0', Exponent - Digits.Length)
            : Exponent <= 0 ? "0." + new string('0', -Exponent) + Digits
            : Digits[..Exponent] + "." + Digits[Exponent..];
        return Sign < 0 ? "-" + text : text;
    }

    /// <summary>Bytes whose lexicographic (memcmp) order is the numbers' order.</summary>
    public byte[] ToSortableBytes()
    {
        if (Sign == 0)
        {
            return [0x80];
        }

        var bytes = new byte[3 + Digits.Length + (Sign < 0 ? 1 : 0)];
        var biased = Exponent + 1000;
        bytes[0] = Sign > 0 ? (byte)0xC0 : (byte)0x40;
        bytes[1] = (byte)(biased >> 8);
        bytes[2] = (byte)biased;
        for (var i = 0; i < Digits.Length; i++)
        {
            bytes[3 + i] = (byte)Digits[i];
        }

        if (Sign < 0)
        {
            // Larger magnitudes sort first, and a shorter digit string (a prefix) sorts after its extensions.
            for (var i = 1; i < bytes.Length - 1; i++)
            {
                bytes[i] = (byte)~bytes[i];
            }

            bytes[^1] = 0xFF;
        }

        return bytes;
    }

    /// <summary>The number's size as DynamoDB counts it: about one byte per two significant digits, plus one.</summary>
    public int StorageSize => (Digits.Length + 1) / 2 + 1;

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;
}
