using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Resources.Buckets;

/// <summary>
/// Buckets as folders: <c>ROOT/TENANT/BUCKET/</c> holds <c>bucket.json</c> (what makes it a bucket),
/// <c>objects/XX/SHA256-OF-KEY</c> (one file per object: bytes, then description), <c>uploads/ID/</c> (unfinished
/// multipart uploads) and <c>tmp/</c> (writes in progress). Keys never become paths: they are arbitrary text up to
/// 1024 bytes ("../x", "/abs", NUL…) and "a" and "a/b" may both exist, so files are named by the key's hash and no key
/// can reach outside its bucket. Every write goes to <c>tmp/</c> first and is renamed into place, so readers see the
/// old object or the complete new one, never part of one; of concurrent writes to a key, the last rename wins.
/// </summary>
public sealed partial class BucketStorage(string rootDirectory)
{
    private const string BucketFile = "bucket.json";

    /// <summary>Temporary files this old are left over from a crash, not writes in progress.</summary>
    private static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<BucketAddress, BucketState> states = new();

    public string RootDirectory { get; } = Path.GetFullPath(rootDirectory);

    /// <summary>Creates the bucket's folder; does nothing if it exists.</summary>
    public async Task CreateBucketAsync(BucketAddress bucket, CancellationToken cancellationToken)
    {
        var directory = BucketDirectory(bucket);
        var marker = Path.Combine(directory, BucketFile);
        if (File.Exists(marker))
        {
            return;
        }

        ObjectFile.CreateDirectory(Path.Combine(directory, "objects"));
        ObjectFile.CreateDirectory(Path.Combine(directory, "uploads"));
        ObjectFile.CreateDirectory(Path.Combine(directory, "tmp"));
        var temporary = Path.Combine(directory, "tmp", $"bucket-{Guid.NewGuid():N}");
        await ObjectFile.WriteSmallFileAsync(temporary, JsonSerializer.SerializeToUtf8Bytes(new BucketRecord(DateTimeOffset.UtcNow), StorageJson.Default.BucketRecord), cancellationToken);
        try
        {
            // Concurrent creators race harmlessly: whichever record lands is as good as the other.
            File.Move(temporary, marker, overwrite: false);
        }
        catch (IOException) when (File.Exists(marker))
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Removes the bucket with all its objects and unfinished uploads; does nothing if it does not exist.</summary>
    public async Task DeleteBucketAsync(BucketAddress bucket, CancellationToken cancellationToken)
    {
        var directory = BucketDirectory(bucket);
        var state = State(bucket);
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(directory))
            {
                return;
            }

            // Renaming first makes the bucket disappear at once, even if deleting many files takes a while.
            var doomed = Path.Combine(RootDirectory, bucket.Tenant, $".deleting-{bucket.Name}-{Guid.NewGuid():N}");
            Directory.Move(directory, doomed);
            state.Index = null;
            Directory.Delete(doomed, recursive: true);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    public bool Exists(BucketAddress bucket) => File.Exists(Path.Combine(BucketDirectory(bucket), BucketFile));

    /// <summary>The tenant's bucket names, sorted.</summary>
    public IReadOnlyList<string> ListBuckets(string tenant)
    {
        if (!BucketNames.TryValidateTenant(tenant, out var problem))
        {
            throw new ArgumentException(problem, nameof(tenant));
        }

        var directory = Path.Combine(RootDirectory, tenant);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => BucketNames.TryValidate(name, out _) && File.Exists(Path.Combine(directory, name, BucketFile)))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>When the bucket was created; null if it does not exist.</summary>
    public async Task<DateTimeOffset?> CreatedAtAsync(BucketAddress bucket, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(BucketDirectory(bucket), BucketFile), cancellationToken);
            return JsonSerializer.Deserialize(bytes, StorageJson.Default.BucketRecord)?.CreatedAt;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Stores an object from <paramref name="content"/>, replacing any object with that key.</summary>
    /// <param name="content">The object's bytes; a read that throws (a failed checksum) abandons the write.</param>
    /// <param name="properties">Asked for once the content has been read, so they may include what reading verified.</param>
    /// <exception cref="S3Exception">NoSuchBucket, EntityTooLarge, KeyTooLongError, PreconditionFailed…</exception>
    public async Task<ObjectInfo> PutObjectAsync(BucketAddress bucket, string key, Stream content, Func<ObjectProperties> properties,
        long maxBytes, WriteConditions conditions, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        var directory = ExistingBucketDirectory(bucket);
        var temporary = TemporaryPath(directory);
        try
        {
            ObjectInfo info;
            await using (var file = ObjectFile.CreateTemporary(temporary))
            {
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                var size = await ObjectFile.AppendAsync(content, file, md5, maxBytes, 0, cancellationToken);
                info = new ObjectInfo(key, size, Convert.ToHexStringLower(md5.GetHashAndReset()), DateTimeOffset.UtcNow, properties());
                await ObjectFile.FinishAsync(file, info, cancellationToken);
            }

            return await CommitAsync(bucket, temporary, info, conditions, cancellationToken);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Opens an object for reading; the caller disposes it.</summary>
    /// <exception cref="S3Exception">NoSuchBucket or NoSuchKey.</exception>
    public async Task<StoredObject> OpenObjectAsync(BucketAddress bucket, string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        var path = ObjectPath(ExistingBucketDirectory(bucket), key);
        FileStream file;
        try
        {
            file = ObjectFile.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw S3Exception.NoSuchKey(key);
        }

        try
        {
            var info = await ObjectFile.ReadInfoAsync(file, cancellationToken);
            return info.Key == key ? new StoredObject(info, file) : throw S3Exception.NoSuchKey(key);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    public async Task<ObjectInfo?> FindObjectAsync(BucketAddress bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await using var stored = await OpenObjectAsync(bucket, key, cancellationToken);
            return stored.Info;
        }
        catch (S3Exception e) when (e.Code == "NoSuchKey")
        {
            return null;
        }
    }

    /// <summary>Copies an object (possibly across buckets of the tenant), with new properties if given.</summary>
    public async Task<ObjectInfo> CopyObjectAsync(BucketAddress sourceBucket, string sourceKey, BucketAddress bucket, string key,
        ObjectProperties? replaceProperties, long maxBytes, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        await using var source = await OpenObjectAsync(sourceBucket, sourceKey, cancellationToken);
        var directory = ExistingBucketDirectory(bucket);
        var temporary = TemporaryPath(directory);
        try
        {
            ObjectInfo info;
            await using (var file = ObjectFile.CreateTemporary(temporary))
            {
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                await using var bytes = source.OpenContent(0, source.Info.Size);
                var size = await ObjectFile.AppendAsync(bytes, file, md5, maxBytes, 0, cancellationToken);
                var properties = replaceProperties ?? source.Info.Properties;
                info = new ObjectInfo(key, size, Convert.ToHexStringLower(md5.GetHashAndReset()), DateTimeOffset.UtcNow, properties);
                await ObjectFile.FinishAsync(file, info, cancellationToken);
            }

            return await CommitAsync(bucket, temporary, info, WriteConditions.None, cancellationToken);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <returns>The removed object's description, or null if there was no such key (not an error in S3).</returns>
    public async Task<ObjectInfo?> DeleteObjectAsync(BucketAddress bucket, string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        var directory = ExistingBucketDirectory(bucket);
        var path = ObjectPath(directory, key);
        var state = State(bucket);
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            var existing = await ObjectFile.TryReadInfoAsync(path, cancellationToken);
            var index = await LoadIndexAsync(state, directory, cancellationToken);
            index.Remove(key);
            if (existing is null)
            {
                return null;
            }

            File.Delete(path);
            return existing;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>A page of the bucket's keys in UTF-8 order (S3 listing semantics, see <see cref="BucketIndex.List"/>).</summary>
    public async Task<ObjectListing> ListObjectsAsync(BucketAddress bucket, string prefix, string? delimiter, string? marker, int maxKeys,
        CancellationToken cancellationToken)
    {
        var directory = ExistingBucketDirectory(bucket);
        var state = State(bucket);
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            var index = await LoadIndexAsync(state, directory, cancellationToken);
            return index.List(prefix, delimiter, marker, maxKeys);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private async Task<ObjectInfo> CommitAsync(BucketAddress bucket, string temporary, ObjectInfo info, WriteConditions conditions,
        CancellationToken cancellationToken)
    {
        var directory = ExistingBucketDirectory(bucket);
        var path = ObjectPath(directory, info.Key);
        var state = State(bucket);
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            var index = await LoadIndexAsync(state, directory, cancellationToken);
            if (conditions.IfNoneMatchAny || conditions.IfMatch is not null)
            {
                var current = await ObjectFile.TryReadInfoAsync(path, cancellationToken);
                if (conditions.IfNoneMatchAny && current is not null)
                {
                    throw S3Exception.PreconditionFailed("If-None-Match");
                }

                if (conditions.IfMatch is { } etag && (current is null || !ETags.Match(etag, current.ETag)))
                {
                    throw current is null ? S3Exception.NoSuchKey(info.Key) : S3Exception.PreconditionFailed("If-Match");
                }
            }

            ObjectFile.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temporary, path, overwrite: true);
            index.Set(info.Summary);
            return info;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private static async Task<BucketIndex> LoadIndexAsync(BucketState state, string directory, CancellationToken cancellationToken)
    {
        if (state.Index is { } loaded)
        {
            return loaded;
        }

        var summaries = new List<ObjectSummary>();
        var objects = Path.Combine(directory, "objects");
        if (Directory.Exists(objects))
        {
            foreach (var path in Directory.EnumerateFiles(objects, "*", SearchOption.AllDirectories))
            {
                // Files that are not intact objects (copied in by hand, damaged) are not listed rather than failing the bucket.
                if (await ObjectFile.TryReadInfoAsync(path, cancellationToken) is { } info && ObjectPath(directory, info.Key) == path)
                {
                    summaries.Add(info.Summary);
                }
            }
        }

        RemoveStaleTemporaries(Path.Combine(directory, "tmp"));
        return state.Index = new BucketIndex(summaries);
    }

    private static void RemoveStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (DateTime.UtcNow - file.LastWriteTimeUtc > StaleTemporaryAge)
            {
                file.Delete();
            }
        }
    }

    private string BucketDirectory(BucketAddress bucket)
    {
        BucketNames.Validate(bucket);
        return Path.Combine(RootDirectory, bucket.Tenant, bucket.Name);
    }

    private string ExistingBucketDirectory(BucketAddress bucket)
        => Exists(bucket) ? BucketDirectory(bucket) : throw S3Exception.NoSuchBucket(bucket.Name);

    private static string ObjectPath(string bucketDirectory, string key)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return Path.Combine(bucketDirectory, "objects", hash[..2], hash);
    }

    private static string TemporaryPath(string bucketDirectory)
    {
        var directory = Path.Combine(bucketDirectory, "tmp");
        ObjectFile.CreateDirectory(directory);
        return Path.Combine(directory, Guid.NewGuid().ToString("N"));
    }

    private BucketState State(BucketAddress bucket) => states.GetOrAdd(bucket, _ => new BucketState());

    private sealed class BucketState
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public BucketIndex? Index { get; set; }
    }
}

/// <summary>An object opened for reading: its description and its file, which stays readable if the key is overwritten.</summary>
public sealed class StoredObject(ObjectInfo info, FileStream file) : IAsyncDisposable
{
    public ObjectInfo Info { get; } = info;

    /// <summary>A stream over bytes <c>[offset, offset + length)</c> of the object.</summary>
    public Stream OpenContent(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Info.Size);
        file.Position = offset;
        return new LengthLimitedStream(file, length);
    }

    public ValueTask DisposeAsync() => file.DisposeAsync();
}
