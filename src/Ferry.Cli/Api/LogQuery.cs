namespace Ferry.Cli.Api;

/// <summary>Filters of <c>GET …/logs</c>; null members are left out of the query string.</summary>
internal sealed record LogQuery(
    string? Function = null,
    long? After = null,
    DateTimeOffset? Since = null,
    string? Contains = null,
    int? Limit = null);
