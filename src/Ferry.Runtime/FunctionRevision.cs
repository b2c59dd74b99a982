using Ferry.Manifest;

namespace Ferry.Runtime;

/// <summary>
/// One function of one deployed revision: everything needed to start instances of it. Immutable; a new deploy makes
/// new <see cref="FunctionRevision"/>s (and new instance pools) rather than changing these.
/// </summary>
public sealed record FunctionRevision
{
    public required string Tenant { get; init; }
    public required long AppStageId { get; init; }
    public required long RevisionId { get; init; }
    public required int RevisionNumber { get; init; }
    public required string Service { get; init; }
    public required string Stage { get; init; }
    public required string Region { get; init; }
    public required FunctionManifest Function { get; init; }

    /// <summary>Host folder holding the extracted code of the revision (read-only for instances).</summary>
    public required string CodeDirectory { get; init; }

    /// <summary>The app stage's buckets and databases as this function sees them.</summary>
    public FunctionResources Resources { get; init; } = FunctionResources.None;

    public string Name => Function.Name;

    /// <summary>The Lambda-style function name: <c>service-stage-function</c>, like the Serverless Framework names them.</summary>
    public string QualifiedName => $"{Service}-{Stage}-{Function.Name}";

    public string Arn => $"arn:aws:lambda:{Region}:000000000000:function:{QualifiedName}";

    public override string ToString() => $"{Service}/{Stage}@{Region}/{Function.Name} r{RevisionNumber}";
}
