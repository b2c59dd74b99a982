using System.Security.Cryptography;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Http;

namespace Ferry.Resources.Buckets;

/// <summary>
/// A request body as the object's bytes, checked against everything the client declared about it: the signed
/// <c>x-amz-content-sha256</c>, <c>Content-MD5</c>, an <c>x-amz-checksum-*</c> header or aws-chunked trailer, and
/// <c>x-amz-decoded-content-length</c>. The checks run when the end is read, and a failure throws from that read, so
/// storage abandons the write instead of publishing a corrupt object.
/// </summary>
internal sealed class PayloadStream : Stream
{
    private readonly Stream source;
    private readonly AwsChunkedStream? chunked;
    private readonly string? expectedSha256;
    private readonly IncrementalHash? sha256;
    private readonly string? expectedMd5;
    private readonly IncrementalHash? md5;
    private readonly Checksum? checksum;
    private readonly string? checksumHeaderValue;
    private readonly long? expectedLength;
    private long length;
    private bool verified;

    private PayloadStream(Stream source, AwsChunkedStream? chunked, string? expectedSha256, string? expectedMd5, Checksum? checksum,
        string? checksumHeaderValue, long? expectedLength)
    {
        this.source = source;
        this.chunked = chunked;
        this.expectedSha256 = expectedSha256;
        sha256 = expectedSha256 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        this.expectedMd5 = expectedMd5;
        md5 = expectedMd5 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        this.checksum = checksum;
        this.checksumHeaderValue = checksumHeaderValue;
        this.expectedLength = expectedLength;
    }

    /// <summary>The checksum the client declared and that matched, once the body has been read; stored with the object.</summary>
    public IReadOnlyDictionary<string, string> VerifiedChecksums { get; private set; } = new Dictionary<string, string>();

    /// <param name="contentSha256">The signed payload hash: hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING- mode.</param>
    /// <param name="signing">For STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): what chunk signatures chain from.</param>
    public static PayloadStream Open(HttpRequest request, string contentSha256, ChunkSigning? signing, long maxBytes)
    {
        var headers = request.Headers;
        var decodedLengthHeader = headers["x-amz-decoded-content-length"].ToString();
        long? decodedLength = null;
        if (decodedLengthHeader.Length > 0)
        {
            decodedLength = long.TryParse(decodedLengthHeader, out var parsed) && parsed >= 0
                ? parsed
                : throw S3Exception.InvalidArgument($"x-amz-decoded-content-length '{decodedLengthHeader}' is not a number of bytes");
        }

        Stream body = request.Body;
        AwsChunkedStream? chunked = null;
        string? expectedSha256 = null;
        switch (contentSha256)
        {
            case SigV4Verifier.UnsignedPayload:
                break;
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD":
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":
                body = chunked = new AwsChunkedStream(request.Body,
                    signing ?? throw S3Exception.InvalidRequest($"{contentSha256} needs a header-signed request"),
                    contentSha256.EndsWith("-TRAILER", StringComparison.Ordinal), maxBytes);
                break;
            case "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
                body = chunked = new AwsChunkedStream(request.Body, null, hasTrailer: true, maxBytes);
                break;
            default:
                if (contentSha256.Length != 64 || !contentSha256.All(char.IsAsciiHexDigit))
                {
                    throw S3Exception.InvalidArgument(
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER), STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid SHA-256 hex value");
                }

                expectedSha256 = contentSha256.ToLowerInvariant();
                break;
        }

        var declaredLength = chunked is null ? request.ContentLength : decodedLength;
        if (declaredLength > maxBytes)
        {
            throw S3Exception.EntityTooLarge(maxBytes);
        }

        if (chunked is not null && decodedLength is null)
        {
            throw new S3Exception("MissingContentLength", 411, "aws-chunked uploads must send x-amz-decoded-content-length");
        }

        var md5 = headers.ContentMD5.ToString();
        if (md5.Length > 0 && !IsBase64Of(md5, 16))
        {
            throw new S3Exception("InvalidDigest", 400, $"The Content-MD5 you specified is not valid base64 of 16 bytes: '{md5}'");
        }

        var (checksum, checksumValue) = DeclaredChecksum(request, chunked is not null);
        return new PayloadStream(body, chunked, expectedSha256, md5.Length > 0 ? md5 : null, checksum, checksumValue,
            chunked is null ? null : decodedLength);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await source.ReadAsync(destination, cancellationToken);
        }
        catch (BadHttpRequestException e)
        {
            throw S3Exception.IncompleteBody($"The request body could not be read: {e.Message}");
        }

        if (read > 0)
        {
            var span = destination.Span[..read];
            sha256?.AppendData(span);
            md5?.AppendData(span);
            checksum?.Append(span);
            length += read;
        }
        else if (!verified && destination.Length > 0)
        {
            Verify();
            verified = true;
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] destination, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(destination.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] destination, int offset, int count)
        => ReadAsync(destination.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Reads the whole (small) body into memory, checked.</summary>
    public async Task<byte[]> ReadAllAsync(int maxBytes, CancellationToken cancellationToken)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (memory.Length + read > maxBytes)
            {
                throw S3Exception.MalformedXml($"the request body is larger than {maxBytes} bytes");
            }

            memory.Write(buffer, 0, read);
        }

        return memory.ToArray();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            sha256?.Dispose();
            md5?.Dispose();
            checksum?.Dispose();
            chunked?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Verify()
    {
        if (expectedLength is { } declared && declared != length)
        {
            throw S3Exception.IncompleteBody($"x-amz-decoded-content-length says {declared} bytes but the aws-chunked body held {length}");
        }

        if (sha256 is not null && Convert.ToHexStringLower(sha256.GetHashAndReset()) != expectedSha256)
        {
            throw new S3Exception("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }

        if (md5 is not null && Convert.ToBase64String(md5.GetHashAndReset()) != expectedMd5)
        {
            throw S3Exception.BadDigest("The Content-MD5 you specified did not match what we received.");
        }

        if (checksum is not null)
        {
            var expected = checksumHeaderValue ?? chunked?.Trailers.GetValueOrDefault(checksum.HeaderName)
                ?? throw S3Exception.InvalidRequest($"The aws-chunked body announced the trailer {checksum.HeaderName} but did not send it");
            var actual = checksum.Finish();
            if (actual != expected)
            {
                throw S3Exception.BadDigest($"The {checksum.Algorithm} you specified did not match the calculated checksum.");
            }

            VerifiedChecksums = new Dictionary<string, string> { [checksum.Algorithm] = actual };
        }
    }

    /// <summary>The checksum to verify: from an <c>x-amz-checksum-*</c> header, or the one <c>x-amz-trailer</c> announces.</summary>
    private static (Checksum? Checksum, string? HeaderValue) DeclaredChecksum(HttpRequest request, bool chunked)
    {
        var trailer = request.Headers["x-amz-trailer"].ToString().Trim();
        if (trailer.Length > 0)
        {
            if (!chunked)
            {
                throw S3Exception.InvalidRequest("x-amz-trailer is only valid with an aws-chunked body");
            }

            var algorithm = Checksum.AlgorithmOfHeader(trailer)
                ?? throw S3Exception.InvalidRequest($"x-amz-trailer names '{trailer}', which is not a checksum S3 supports ({string.Join(", ", Checksum.Algorithms)})");
            return (Checksum.Create(algorithm), null);
        }

        foreach (var header in request.Headers)
        {
            if (Checksum.AlgorithmOfHeader(header.Key) is { } algorithm)
            {
                var value = header.Value.ToString();
                return (Checksum.Create(algorithm), value);
            }
        }

        return (null, null);
    }

    private static bool IsBase64Of(string value, int bytes)
    {
        Span<byte> decoded = stackalloc byte[bytes + 3];
        return Convert.TryFromBase64String(value, decoded, out var written) && written == bytes;
    }
}
