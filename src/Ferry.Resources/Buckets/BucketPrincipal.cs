namespace Ferry.Resources.Buckets;

/// <summary>Who an access key belongs to, as far as buckets are concerned.</summary>
/// <param name="AllowedBuckets">The bucket names the key may use; null for every bucket of the tenant.</param>
/// <param name="AppStage">A function key's app stage (tenant/service/stage/region): the queues it reaches are that app stage's.</param>
public sealed record BucketPrincipal(string Tenant, string SecretAccessKey, IReadOnlySet<string>? AllowedBuckets, string? AppStage = null)
{
    public bool MayUse(BucketAddress bucket)
        => bucket.Tenant == Tenant && (AllowedBuckets is null || AllowedBuckets.Contains(bucket.Name));
}

/// <summary>Finds the principal of a SigV4 access key id.</summary>
public interface IBucketCredentials
{
    /// <returns>Null when the key is unknown (or revoked).</returns>
    ValueTask<BucketPrincipal?> FindAsync(string accessKeyId, CancellationToken cancellationToken);
}
