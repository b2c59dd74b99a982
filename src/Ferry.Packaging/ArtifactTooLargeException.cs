namespace Ferry.Packaging;

/// <summary>An uploaded artifact is larger than the configured limit; nothing was stored.</summary>
public sealed class ArtifactTooLargeException(long limit)
    : Exception($"The artifact is larger than the limit of {limit} bytes; nothing was stored.")
{
    /// <summary>The limit, in bytes, the artifact exceeded.</summary>
    public long Limit { get; } = limit;
}
