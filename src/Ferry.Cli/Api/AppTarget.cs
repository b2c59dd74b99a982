namespace Ferry.Cli.Api;

/// <summary>One deployed app: a service in a stage and region.</summary>
internal sealed record AppTarget(string Service, string Stage, string Region)
{
    public override string ToString() => $"{Service} (stage {Stage}, region {Region})";
}
