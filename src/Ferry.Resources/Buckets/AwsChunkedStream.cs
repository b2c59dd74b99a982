using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Triggers.Lambda;

namespace Ferry.Resources.Buckets;

/// <summary>What chunk signatures of a <c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c> body are checked against.</summary>
internal sealed record ChunkSigning(byte[] SigningKey, string AmzDate, string Scope, string SeedSignature);

/// <summary>
/// Decodes an <c>aws-chunked</c> body: chunks <c>HEX-SIZE[;chunk-signature=SIG]\r\nDATA\r\n</c> ending with a
/// zero-size chunk, then, in the trailer modes, trailing headers (<c>x-amz-checksum-crc32:…</c>) and an empty line.
/// With <see cref="ChunkSigning"/>, every chunk's signature (chained from the request's) and the trailer's signature
/// are verified; a chunk is checked before the read that ends it returns, so a forged chunk fails the upload.
/// </summary>
internal sealed class AwsChunkedStream(Stream inner, ChunkSigning? signing, bool hasTrailer, long maxDecodedBytes) : Stream
{
    private const int MaxLineBytes = 4096;
    private const int MaxTrailerBytes = 16 * 1024;

    private readonly byte[] buffer = new byte[64 * 1024];
    private readonly Dictionary<string, string> trailers = new(StringComparer.OrdinalIgnoreCase);
    private readonly IncrementalHash? chunkHash = signing is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int start;
    private int end;
    private bool innerEnded;
    private long chunkRemaining;
    private string? chunkSignature;
    private string? previousSignature = signing?.SeedSignature;
    private long decoded;
    private bool done;

    /// <summary>The trailing headers, by name, once the body has been read to its end.</summary>
    public IReadOnlyDictionary<string, string> Trailers => trailers;

    public long DecodedLength => decoded;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => decoded;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (done || destination.Length == 0)
        {
            return 0;
        }

        if (chunkRemaining == 0)
        {
            var size = await ReadChunkHeaderAsync(cancellationToken);
            if (size == 0)
            {
                await FinishAsync(cancellationToken);
                done = true;
                return 0;
            }

            chunkRemaining = size;
        }

        var wanted = (int)Math.Min(destination.Length, chunkRemaining);
        int read;
        if (end > start)
        {
            read = Math.Min(wanted, end - start);
            buffer.AsSpan(start, read).CopyTo(destination.Span);
            start += read;
        }
        else
        {
            read = await inner.ReadAsync(destination[..wanted], cancellationToken);
            if (read == 0)
            {
                throw S3Exception.IncompleteBody("The aws-chunked body ended inside a chunk");
            }
        }

        chunkHash?.AppendData(destination.Span[..read]);
        chunkRemaining -= read;
        decoded += read;
        if (chunkRemaining == 0)
        {
            await ExpectLineEndAsync(cancellationToken);
            VerifyChunk();
        }

        return read;
    }

    public override int Read(byte[] destination, int offset, int count)
        => ReadAsync(destination.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] destination, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(destination.AsMemory(offset, count), cancellationToken).AsTask();

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
            chunkHash?.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<long> ReadChunkHeaderAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken)
            ?? throw S3Exception.IncompleteBody("The aws-chunked body ended before its final zero-size chunk");
        var parts = line.Split(';');
        if (parts[0].Length is 0 or > 16 || !long.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
        {
            throw InvalidChunk($"chunk header '{Shorten(line)}' does not start with a hexadecimal size");
        }

        if (decoded + size > maxDecodedBytes)
        {
            throw S3Exception.EntityTooLarge(maxDecodedBytes);
        }

        chunkSignature = null;
        foreach (var extension in parts.Skip(1))
        {
            if (extension.StartsWith("chunk-signature=", StringComparison.Ordinal))
            {
                chunkSignature = extension["chunk-signature=".Length..];
            }
        }

        if (signing is not null && chunkSignature is null)
        {
            throw InvalidChunk("a chunk of a signed aws-chunked body has no chunk-signature");
        }

        if (size == 0)
        {
            VerifyChunk();
        }

        return size;
    }

    private void VerifyChunk()
    {
        if (signing is null || chunkHash is null)
        {
            return;
        }

        var expected = SigV4Verifier.ChunkSignature(signing.SigningKey, signing.AmzDate, signing.Scope, previousSignature!, chunkHash.GetHashAndReset());
        if (chunkSignature is null || !SigV4Verifier.FixedTimeEquals(expected, chunkSignature))
        {
            throw new S3Exception("SignatureDoesNotMatch", 403,
                $"The signature of the aws-chunked chunk ending at byte {decoded} does not match; the upload was discarded");
        }

        previousSignature = chunkSignature;
    }

    private async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (!hasTrailer)
        {
            // The final chunk is followed by an empty line; tolerate a body that stops right after the chunk header.
            var rest = await ReadLineAsync(cancellationToken);
            if (rest is { Length: > 0 })
            {
                throw InvalidChunk("unexpected data after the final chunk");
            }

            return;
        }

        var canonical = new StringBuilder();
        string? trailerSignature = null;
        var total = 0;
        while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
        {
            total += line.Length;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || total > MaxTrailerBytes)
            {
                throw InvalidChunk($"trailer line '{Shorten(line)}' is not 'name:value'");
            }

            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature")
            {
                trailerSignature = value;
                continue;
            }

            trailers[name] = value;
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }

        if (signing is not null)
        {
            var expected = SigV4Verifier.TrailerSignature(signing.SigningKey, signing.AmzDate, signing.Scope, previousSignature!, canonical.ToString());
            if (trailerSignature is null || !SigV4Verifier.FixedTimeEquals(expected, trailerSignature))
            {
                throw new S3Exception("SignatureDoesNotMatch", 403, "The signature of the aws-chunked trailer does not match; the upload was discarded");
            }
        }
    }

    private async Task ExpectLineEndAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (line is not { Length: 0 })
        {
            throw InvalidChunk("a chunk's data is longer than its declared size");
        }
    }

    /// <returns>The next line without its CRLF (or LF); null at the end of the body.</returns>
    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = newline > 0 && buffer[start + newline - 1] == '\r' ? newline - 1 : newline;
                var line = Encoding.ASCII.GetString(buffer, start, length);
                start += newline + 1;
                return line;
            }

            if (end - start >= MaxLineBytes)
            {
                throw InvalidChunk("a chunk header or trailer line is too long");
            }

            if (innerEnded)
            {
                if (end == start)
                {
                    return null;
                }

                var last = Encoding.ASCII.GetString(buffer, start, end - start);
                start = end;
                return last;
            }

            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }

            var read = await inner.ReadAsync(buffer.AsMemory(end), cancellationToken);
            if (read == 0)
            {
                innerEnded = true;
            }

            end += read;
        }
    }

    private static S3Exception InvalidChunk(string problem) => new("InvalidChunkSizeError", 400, $"Malformed aws-chunked body: {problem}");

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
