using System.Text;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Resources.Buckets;

/// <summary>
/// An S3 request taken apart from its raw target: the bucket (from the host for virtual-hosted style, else the first
/// path segment), the key (the rest of the path, percent-decoded exactly once) and the query parameters.
/// </summary>
internal sealed class S3Request
{
    private S3Request(string method, string rawPath, IReadOnlyList<KeyValuePair<string, string>> query, string? bucket, string? key)
    {
        Method = method;
        RawPath = rawPath;
        Query = query;
        Bucket = bucket;
        Key = key;
    }

    public string Method { get; }

    /// <summary>The path as sent, still encoded: what the signature covers.</summary>
    public string RawPath { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Query { get; }

    public string? Bucket { get; }

    public string? Key { get; }

    public bool Has(string parameter) => Query.Any(p => p.Key == parameter);

    public string? Get(string parameter)
    {
        foreach (var (name, value) in Query)
        {
            if (name == parameter)
            {
                return value;
            }
        }

        return null;
    }

    public static S3Request Parse(HttpContext context, IReadOnlyList<string> virtualHostSuffixes)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : context.Request.Path.Value ?? "/";
        if (!target.StartsWith('/'))
        {
            // Absolute form (http://host/path): keep the path.
            var afterScheme = target.IndexOf("://", StringComparison.Ordinal);
            var pathStart = afterScheme < 0 ? -1 : target.IndexOf('/', afterScheme + 3);
            target = pathStart < 0 ? "/" : target[pathStart..];
        }

        var questionMark = target.IndexOf('?', StringComparison.Ordinal);
        var rawPath = questionMark < 0 ? target : target[..questionMark];
        var query = questionMark < 0 ? [] : ParseQuery(target[(questionMark + 1)..]);

        var bucket = VirtualHostBucket(context.Request.Host.Host, virtualHostSuffixes);
        var rest = rawPath.Length > 0 ? rawPath[1..] : "";
        if (bucket is null && rest.Length > 0)
        {
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            bucket = ObjectKeys.DecodeUtf8(SigV4Verifier.PercentDecode(slash < 0 ? rest : rest[..slash]), "bucket name");
            rest = slash < 0 ? "" : rest[(slash + 1)..];
        }

        var key = rest.Length == 0 ? null : ObjectKeys.DecodeUtf8(SigV4Verifier.PercentDecode(rest), "object key");
        return new S3Request(context.Request.Method, rawPath.Length == 0 ? "/" : rawPath, query, bucket, key);
    }

    private static string? VirtualHostBucket(string host, IReadOnlyList<string> suffixes)
    {
        foreach (var suffix in suffixes)
        {
            if (host.Length > suffix.Length + 1 && host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
            {
                return host[..^(suffix.Length + 1)].ToLowerInvariant();
            }
        }

        return null;
    }

    private static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? "" : part[(equals + 1)..];
            pairs.Add(new(Decode(name), Decode(value)));
        }

        return pairs;
    }

    private static string Decode(string value) => Encoding.UTF8.GetString(SigV4Verifier.PercentDecode(value));
}
