using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ferry.Resources.Buckets;

/// <summary>
/// The additional checksums S3 clients send (<c>x-amz-checksum-ALGORITHM</c>, as a header or an aws-chunked trailer):
/// CRC32 (what the SDKs use by default), CRC32C, CRC64NVME, SHA1 and SHA256, each base64 of the big-endian value.
/// </summary>
internal abstract class Checksum : IDisposable
{
    public static readonly IReadOnlyList<string> Algorithms = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

    public abstract string Algorithm { get; }

    public string HeaderName => "x-amz-checksum-" + Algorithm.ToLowerInvariant();

    /// <returns>Null when the algorithm is not one S3 knows.</returns>
    public static Checksum? Create(string algorithm) => algorithm.ToUpperInvariant() switch
    {
        "CRC32" => new Crc32Checksum("CRC32", Crc32Checksum.IeeeTable),
        "CRC32C" => new Crc32Checksum("CRC32C", Crc32Checksum.CastagnoliTable),
        "CRC64NVME" => new Crc64NvmeChecksum(),
        "SHA1" => new HashChecksum("SHA1", HashAlgorithmName.SHA1),
        "SHA256" => new HashChecksum("SHA256", HashAlgorithmName.SHA256),
        _ => null,
    };

    /// <summary>The algorithm named by a header such as <c>x-amz-checksum-crc32</c>, or null.</summary>
    public static string? AlgorithmOfHeader(string headerName)
    {
        const string Prefix = "x-amz-checksum-";
        if (!headerName.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var algorithm = headerName[Prefix.Length..].ToUpperInvariant();
        return Algorithms.Contains(algorithm) ? algorithm : null;
    }

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>The value as S3 writes it: base64 of the big-endian digest.</summary>
    public abstract string Finish();

    public virtual void Dispose()
    {
    }

    private sealed class Crc32Checksum(string algorithm, uint[] table) : Checksum
    {
        public static readonly uint[] IeeeTable = Table(0xEDB88320u);
        public static readonly uint[] CastagnoliTable = Table(0x82F63B78u);

        private uint crc = 0xFFFFFFFFu;

        public override string Algorithm => algorithm;

        public override void Append(ReadOnlySpan<byte> data)
        {
            var value = crc;
            foreach (var b in data)
            {
                value = table[(value ^ b) & 0xFF] ^ (value >> 8);
            }

            crc = value;
        }

        public override string Finish()
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, crc ^ 0xFFFFFFFFu);
            return Convert.ToBase64String(bytes);
        }

        private static uint[] Table(uint polynomial)
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++)
                {
                    value = (value & 1) != 0 ? (value >> 1) ^ polynomial : value >> 1;
                }

                table[i] = value;
            }

            return table;
        }
    }

    private sealed class Crc64NvmeChecksum : Checksum
    {
        private static readonly ulong[] Table = BuildTable(0x9A6C9329AC4BC9B5ul);

        private ulong crc = ulong.MaxValue;

        public override string Algorithm => "CRC64NVME";

        public override void Append(ReadOnlySpan<byte> data)
        {
            var value = crc;
            foreach (var b in data)
            {
                value = Table[(value ^ b) & 0xFF] ^ (value >> 8);
            }

            crc = value;
        }

        public override string Finish()
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, crc ^ ulong.MaxValue);
            return Convert.ToBase64String(bytes);
        }

        private static ulong[] BuildTable(ulong polynomial)
        {
            var table = new ulong[256];
            for (ulong i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++)
                {
                    value = (value & 1) != 0 ? (value >> 1) ^ polynomial : value >> 1;
                }

                table[i] = value;
            }

            return table;
        }
    }

    private sealed class HashChecksum(string algorithm, HashAlgorithmName name) : Checksum
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(name);

        public override string Algorithm => algorithm;

        public override void Append(ReadOnlySpan<byte> data) => hash.AppendData(data);

        public override string Finish() => Convert.ToBase64String(hash.GetHashAndReset());

        public override void Dispose() => hash.Dispose();
    }
}
