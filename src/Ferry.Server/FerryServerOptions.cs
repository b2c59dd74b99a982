namespace Ferry.Server;

/// <summary>How <c>ferry server</c> was asked to run.</summary>
public sealed record FerryServerOptions
{
    /// <summary>Kestrel URLs, e.g. <c>http://127.0.0.1:8080</c>; the first one is the public base URL.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8080"];

    /// <summary>Folder for the SQLite store, artifacts and extracted revisions. Created when missing.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Run functions as plain processes when bubblewrap is missing. Loudly unsafe.</summary>
    public bool InsecureNoSandbox { get; init; }

    /// <summary>Largest accepted deployment archive, bytes.</summary>
    public long MaxArchiveBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long an idle instance is kept warm before it is stopped.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>After an upgrade switches traffic, how long its error rate is watched for an automatic rollback.</summary>
    public TimeSpan UpgradeWatchWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Share of failed requests (0..1) above which a freshly upgraded revision is rolled back.</summary>
    public double UpgradeMaxErrorRate { get; init; } = 0.2;

    /// <summary>Requests needed before the error rate of a fresh upgrade can trigger a rollback.</summary>
    public int UpgradeMinimumRequests { get; init; } = 10;
}
