namespace Ferry.Resources.Buckets;

/// <summary>
/// A bucket's keys in UTF-8 order with their listing data, kept in memory (object files are named by key hash, so
/// the file system cannot list in key order). Not thread-safe: the storage guards it with the bucket's lock.
/// </summary>
internal sealed class BucketIndex
{
    private readonly List<string> keys = [];
    private readonly Dictionary<string, ObjectSummary> objects = new(StringComparer.Ordinal);

    public BucketIndex(IEnumerable<ObjectSummary> existing)
    {
        foreach (var summary in existing)
        {
            objects[summary.Key] = summary;
        }

        keys.AddRange(objects.Keys);
        keys.Sort(ObjectKeys.Utf8Order);
    }

    public int Count => keys.Count;

    public ObjectSummary? Find(string key) => objects.GetValueOrDefault(key);

    public void Set(ObjectSummary summary)
    {
        if (objects.TryAdd(summary.Key, summary))
        {
            var at = keys.BinarySearch(summary.Key, ObjectKeys.Utf8Order);
            keys.Insert(~at, summary.Key);
        }
        else
        {
            objects[summary.Key] = summary;
        }
    }

    public void Remove(string key)
    {
        if (objects.Remove(key))
        {
            keys.RemoveAt(keys.BinarySearch(key, ObjectKeys.Utf8Order));
        }
    }

    /// <summary>
    /// S3 listing semantics: keys under <paramref name="prefix"/> after <paramref name="marker"/>; with a delimiter,
    /// keys that contain it after the prefix roll up into one common prefix each, counted like one key.
    /// </summary>
    public ObjectListing List(string prefix, string? delimiter, string? marker, int maxKeys)
    {
        var found = new List<ObjectSummary>();
        var commonPrefixes = new List<string>();
        var order = ObjectKeys.Utf8Order;
        var start = keys.BinarySearch(prefix, order);
        start = start < 0 ? ~start : start;
        if (marker is not null && order.Compare(marker, prefix) >= 0)
        {
            var afterMarker = keys.BinarySearch(marker, order);
            start = afterMarker < 0 ? ~afterMarker : afterMarker + 1;
        }

        string? lastPrefix = null;
        string? next = null;
        var truncated = false;
        for (var i = start; i < keys.Count; i++)
        {
            var key = keys[i];
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                break;
            }

            var at = string.IsNullOrEmpty(delimiter) ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
            if (at >= 0)
            {
                var common = key[..(at + delimiter!.Length)];
                if (common == lastPrefix || (marker is not null && order.Compare(common, marker) <= 0))
                {
                    continue;
                }

                if (found.Count + commonPrefixes.Count >= maxKeys)
                {
                    truncated = true;
                    break;
                }

                commonPrefixes.Add(common);
                lastPrefix = next = common;
                continue;
            }

            if (found.Count + commonPrefixes.Count >= maxKeys)
            {
                truncated = true;
                break;
            }

            found.Add(objects[key]);
            next = key;
        }

        return new ObjectListing(found, commonPrefixes, truncated, next);
    }
}
