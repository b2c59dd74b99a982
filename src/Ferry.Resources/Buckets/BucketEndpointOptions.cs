namespace Ferry.Resources.Buckets;

/// <summary>Where and how the S3-compatible bucket endpoint listens.</summary>
public sealed record BucketEndpointOptions
{
    /// <summary>The loopback HTTP address to listen on; port 0 picks a free port (see <see cref="BucketEndpoint.TcpAddress"/>).</summary>
    public string TcpUrl { get; init; } = "http://127.0.0.1:0";

    /// <summary>The UNIX socket to listen on as well (sandboxed functions reach the endpoint through it). Its folder must exist.</summary>
    public required string UnixSocketPath { get; init; }

    /// <summary>The region the endpoint reports (GetBucketLocation, event records). SDK clients may sign with any region.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The largest object (and part) accepted; larger uploads fail with EntityTooLarge.</summary>
    public long MaxObjectBytes { get; init; } = 5L * 1024 * 1024 * 1024;

    /// <summary>The smallest size of every multipart part but the last, as on AWS.</summary>
    public long MinPartBytes { get; init; } = 5L * 1024 * 1024;

    /// <summary>
    /// Host names under which virtual-hosted-style requests (<c>BUCKET.localhost:PORT</c>) name their bucket; requests
    /// to other hosts are path-style (<c>/BUCKET/KEY</c>).
    /// </summary>
    public IReadOnlyList<string> VirtualHostSuffixes { get; init; } = ["localhost"];

    /// <summary>
    /// Asked before every write (PUT, POST other than multi-object delete) with the caller's tenant: an error refuses
    /// the write (the tenant is over its storage quota); null lets it through. Null: no check.
    /// </summary>
    public Func<string, S3Exception?>? WriteAdmission { get; init; }

    /// <summary>The DynamoDB-compatible tables also served here (requests with <c>X-Amz-Target: DynamoDB_20120810.*</c>); null: none.</summary>
    public Tables.TableApi? Tables { get; init; }

    /// <summary>The clock signatures are checked against (tests move it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
