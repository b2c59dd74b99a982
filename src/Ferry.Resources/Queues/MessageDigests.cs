using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Resources.Queues;

/// <summary>The MD5 digests SQS returns (and SDKs check): of the body, and of the message attributes in SQS's encoding.</summary>
public static class MessageDigests
{
    public static string OfBody(string body) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));

    /// <summary>
    /// Attributes sorted by name; each as name, data type (4-byte big-endian length + UTF-8 bytes), a transport byte
    /// (1 string/number, 2 binary) and the value (length + bytes). Null when there are none.
    /// </summary>
    public static string? OfAttributes(IReadOnlyDictionary<string, MessageAttributeValue> attributes)
    {
        if (attributes.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        foreach (var (name, value) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            Write(buffer, Encoding.UTF8.GetBytes(name));
            Write(buffer, Encoding.UTF8.GetBytes(value.DataType));
            buffer.WriteByte(value.IsBinary ? (byte)2 : (byte)1);
            Write(buffer, value.IsBinary ? value.BinaryValue ?? [] : Encoding.UTF8.GetBytes(value.StringValue ?? ""));
        }

        return Convert.ToHexStringLower(MD5.HashData(buffer.ToArray()));
    }

    private static void Write(MemoryStream buffer, byte[] bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
