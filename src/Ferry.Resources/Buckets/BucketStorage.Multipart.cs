using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ferry.Resources.Buckets;

/// <summary>Multipart uploads: parts are kept under <c>uploads/ID/</c> until completed (assembled) or aborted.</summary>
public sealed partial class BucketStorage
{
    public const int MaxPartNumber = 10_000;

    public async Task<MultipartUpload> CreateMultipartUploadAsync(BucketAddress bucket, string key, ObjectProperties properties,
        CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        var directory = ExistingBucketDirectory(bucket);
        var upload = new MultipartUpload(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), key, DateTimeOffset.UtcNow, properties);
        var uploadDirectory = Path.Combine(directory, "uploads", upload.UploadId);
        ObjectFile.CreateDirectory(Path.Combine(uploadDirectory, "parts"));
        await ObjectFile.WriteSmallFileAsync(Path.Combine(uploadDirectory, "upload.json"),
            JsonSerializer.SerializeToUtf8Bytes(upload, StorageJson.Default.MultipartUpload), cancellationToken);
        return upload;
    }

    /// <exception cref="S3Exception">NoSuchBucket, or NoSuchUpload when the id is unknown or belongs to another key.</exception>
    public async Task<MultipartUpload> FindMultipartUploadAsync(BucketAddress bucket, string key, string uploadId, CancellationToken cancellationToken)
    {
        var directory = ExistingBucketDirectory(bucket);
        if (!UploadId().IsMatch(uploadId))
        {
            throw S3Exception.NoSuchUpload(uploadId);
        }

        try
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(directory, "uploads", uploadId, "upload.json"), cancellationToken);
            var upload = JsonSerializer.Deserialize(bytes, StorageJson.Default.MultipartUpload);
            return upload is not null && upload.Key == key ? upload : throw S3Exception.NoSuchUpload(uploadId);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            throw S3Exception.NoSuchUpload(uploadId);
        }
    }

    public async Task<UploadedPart> UploadPartAsync(BucketAddress bucket, string key, string uploadId, int partNumber, Stream content,
        long maxBytes, CancellationToken cancellationToken)
    {
        if (partNumber is < 1 or > MaxPartNumber)
        {
            throw S3Exception.InvalidArgument($"Part number must be an integer between 1 and {MaxPartNumber}, inclusive; got {partNumber}");
        }

        await FindMultipartUploadAsync(bucket, key, uploadId, cancellationToken);
        var directory = ExistingBucketDirectory(bucket);
        var temporary = TemporaryPath(directory);
        try
        {
            ObjectInfo info;
            await using (var file = ObjectFile.CreateTemporary(temporary))
            {
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                var size = await ObjectFile.AppendAsync(content, file, md5, maxBytes, 0, cancellationToken);
                info = new ObjectInfo(PartName(partNumber), size, Convert.ToHexStringLower(md5.GetHashAndReset()), DateTimeOffset.UtcNow, new ObjectProperties());
                await ObjectFile.FinishAsync(file, info, cancellationToken);
            }

            try
            {
                File.Move(temporary, PartPath(directory, uploadId, partNumber), overwrite: true);
            }
            catch (DirectoryNotFoundException)
            {
                throw S3Exception.NoSuchUpload(uploadId);
            }

            return new UploadedPart(partNumber, info.Size, info.ETag, info.LastModified);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task<IReadOnlyList<UploadedPart>> ListPartsAsync(BucketAddress bucket, string key, string uploadId, CancellationToken cancellationToken)
    {
        await FindMultipartUploadAsync(bucket, key, uploadId, cancellationToken);
        var parts = new List<UploadedPart>();
        var partsDirectory = Path.Combine(ExistingBucketDirectory(bucket), "uploads", uploadId, "parts");
        foreach (var path in Directory.Exists(partsDirectory) ? Directory.EnumerateFiles(partsDirectory) : [])
        {
            if (int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                && await ObjectFile.TryReadInfoAsync(path, cancellationToken) is { } info)
            {
                parts.Add(new UploadedPart(number, info.Size, info.ETag, info.LastModified));
            }
        }

        return [.. parts.OrderBy(p => p.PartNumber)];
    }

    /// <summary>
    /// Assembles the listed parts into the object (S3's rules: ascending part numbers, matching ETags, every part but
    /// the last at least <paramref name="minPartBytes"/>) and ends the upload.
    /// </summary>
    public async Task<ObjectInfo> CompleteMultipartUploadAsync(BucketAddress bucket, string key, string uploadId,
        IReadOnlyList<(int PartNumber, string ETag)> parts, long minPartBytes, long maxBytes, CancellationToken cancellationToken)
    {
        var upload = await FindMultipartUploadAsync(bucket, key, uploadId, cancellationToken);
        if (parts.Count == 0)
        {
            throw new S3Exception("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema: list at least one part");
        }

        var directory = ExistingBucketDirectory(bucket);
        var files = new List<(string Path, ObjectInfo Info)>();
        for (var i = 0; i < parts.Count; i++)
        {
            var (number, etag) = parts[i];
            if (i > 0 && number <= parts[i - 1].PartNumber)
            {
                throw new S3Exception("InvalidPartOrder", 400, "The list of parts was not in ascending order. The parts list must be specified in order by part number.");
            }

            var path = PartPath(directory, uploadId, number);
            var info = number is >= 1 and <= MaxPartNumber ? await ObjectFile.TryReadInfoAsync(path, cancellationToken) : null;
            if (info is null || !ETags.Match(etag, info.ETag))
            {
                throw new S3Exception("InvalidPart", 400,
                    $"One or more of the specified parts could not be found or its entity tag did not match: part {number}, ETag {etag}");
            }

            if (i < parts.Count - 1 && info.Size < minPartBytes)
            {
                throw new S3Exception("EntityTooSmall", 400,
                    $"Your proposed upload is smaller than the minimum allowed size: part {number} has {info.Size} bytes, every part but the last needs {minPartBytes}");
            }

            files.Add((path, info));
        }

        var temporary = TemporaryPath(directory);
        try
        {
            ObjectInfo assembled;
            await using (var file = ObjectFile.CreateTemporary(temporary))
            {
                long size = 0;
                using var partMd5s = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                foreach (var (path, info) in files)
                {
                    await using var part = ObjectFile.OpenRead(path);
                    await using var bytes = new LengthLimitedStream(part, info.Size);
                    size += await ObjectFile.AppendAsync(bytes, file, null, maxBytes, size, cancellationToken);
                    partMd5s.AppendData(Convert.FromHexString(info.ETag));
                }

                assembled = new ObjectInfo(key, size, $"{Convert.ToHexStringLower(partMd5s.GetHashAndReset())}-{files.Count}",
                    DateTimeOffset.UtcNow, upload.Properties, [.. files.Select(f => f.Info.Size)]);
                await ObjectFile.FinishAsync(file, assembled, cancellationToken);
            }

            // The upload may have been aborted meanwhile; then it must not turn into an object.
            await FindMultipartUploadAsync(bucket, key, uploadId, cancellationToken);
            var committed = await CommitAsync(bucket, temporary, assembled, WriteConditions.None, cancellationToken);
            DeleteUploadDirectory(directory, uploadId);
            return committed;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task AbortMultipartUploadAsync(BucketAddress bucket, string key, string uploadId, CancellationToken cancellationToken)
    {
        await FindMultipartUploadAsync(bucket, key, uploadId, cancellationToken);
        DeleteUploadDirectory(ExistingBucketDirectory(bucket), uploadId);
    }

    private static void DeleteUploadDirectory(string bucketDirectory, string uploadId)
    {
        try
        {
            Directory.Delete(Path.Combine(bucketDirectory, "uploads", uploadId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Completed or aborted concurrently: the result is the same.
        }
    }

    private static string PartName(int partNumber) => partNumber.ToString("D5", CultureInfo.InvariantCulture);

    private static string PartPath(string bucketDirectory, string uploadId, int partNumber)
        => Path.Combine(bucketDirectory, "uploads", uploadId, "parts", PartName(partNumber));

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex UploadId();
}
