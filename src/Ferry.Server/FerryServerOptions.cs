namespace Ferry.Server;

/// <summary>How <c>ferry server</c> was asked to run.</summary>
public sealed record FerryServerOptions
{
    /// <summary>Kestrel URLs, e.g. <c>http://127.0.0.1:8080</c>; the first one is the public base URL.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8080"];

    /// <summary>Folder for the SQLite store, artifacts and extracted revisions. Created when missing.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// Where the control-plane store (and the async-invocation queue) lives: null for the SQLite file in
    /// <see cref="DataDirectory"/>, else a PostgreSQL database as <c>postgres://user:password@host:port/database</c> or an
    /// Npgsql connection string. Holds a password: never log it (log <c>StoreLocation</c> instead).
    /// </summary>
    public string? Store { get; init; }

    /// <summary>
    /// Hubs consumers add may be on loopback, link-local or private addresses too (<c>--allow-private-hubs</c>: for a
    /// hub inside your own network). Without it only hubs an admin adds may be.
    /// </summary>
    public bool AllowPrivateHubs { get; init; }

    /// <summary>Run functions as plain processes when bubblewrap is missing. Loudly unsafe.</summary>
    public bool InsecureNoSandbox { get; init; }

    /// <summary>Stem cells (pre-started runtimes that cold starts take over) kept ready per runtime family; 0 turns them off.</summary>
    public int StemCellsPerRuntime { get; init; } = 1;

    /// <summary>Most stem cells per runtime family after bursts of cold starts (<c>--stem-cells-max</c>).</summary>
    public int StemCellsMaxPerRuntime { get; init; } = 10;

    /// <summary>Memory all waiting stem cells may take together, MB; the floors are kept even above it (<c>--stem-cell-memory-mb</c>).</summary>
    public int StemCellMemoryBudgetMb { get; init; } = 512;

    /// <summary>Stem cells started at the same time at most; null: half the cores (<c>--stem-cell-refills</c>).</summary>
    public int? StemCellRefillConcurrency { get; init; }

    /// <summary>How fast the stem cell pool shrinks back to its floor after a burst: the half-life of its demand (<c>--stem-cell-decay</c>).</summary>
    public TimeSpan StemCellDemandHalfLife { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Instances one function revision may run at once when its manifest sets no <c>maxInstances</c>
    /// (<c>reservedConcurrency</c>); <c>--max-instances-per-function</c>.
    /// </summary>
    public int MaxInstancesPerFunction { get; init; } = 10;

    /// <summary>Largest accepted deployment archive, bytes.</summary>
    public long MaxArchiveBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>False: a new revision starts with no instances instead of as many as the live one runs (<c>--cold-redeploys</c>).</summary>
    public bool WarmRedeploys { get; init; } = true;

    /// <summary>How long a redeploy moves a busy function's traffic over to the new revision (<c>--redeploy-shift</c>; zero: at once).</summary>
    public TimeSpan RedeployTrafficShift { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether function requests are served on the threads that watch the sockets (true, the default) or handed to the
    /// thread pool at every step (<c>--pooled-io</c>). Inline I/O saves thread switches on the request path; the
    /// control plane still runs on the thread pool (<see cref="ThreadPoolContinuations"/>).
    /// </summary>
    public bool InlineIo { get; init; } = true;

    /// <summary>How long an idle instance is kept warm before it is stopped.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>After an upgrade switches traffic, how long its error rate is watched for an automatic rollback.</summary>
    public TimeSpan UpgradeWatchWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Share of failed requests (0..1) above which a freshly upgraded revision is rolled back.</summary>
    public double UpgradeMaxErrorRate { get; init; } = 0.2;

    /// <summary>Requests needed before the error rate of a fresh upgrade can trigger a rollback.</summary>
    public int UpgradeMinimumRequests { get; init; } = 10;

    /// <summary>
    /// Where the S3-compatible bucket endpoint listens (loopback); port 0 picks a free port. Functions are told the
    /// address in AWS_ENDPOINT_URL_S3.
    /// </summary>
    public string BucketEndpointUrl { get; init; } = "http://127.0.0.1:0";

    /// <summary>
    /// A PostgreSQL server for apps' databases (a connection string or postgres:// URL of a role with CREATEDB and
    /// CREATEROLE); null keeps each database in a SQLite file in the data folder.
    /// </summary>
    public string? DatabaseServer { get; init; }

    /// <summary>
    /// Folder of PEM certificates for HTTPS listeners (<c>--tls-cert</c>), chosen per handshake by SNI
    /// (see <c>Domains.SniCertificates</c>); null: <c>&lt;data&gt;/certs</c>.
    /// </summary>
    public string? TlsCertificateDirectory { get; init; }

    /// <summary>The quotas of tenants an admin gave no values of their own (<c>--default-quota-…</c>).</summary>
    public Quotas.TenantQuotaDefaults DefaultQuota { get; init; } = new();

    /// <summary>Log lines and invocation records older than this are deleted (usage is kept in hourly rollups).</summary>
    public TimeSpan LogRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often retention runs.</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often tenants' storage (bucket and database folders) is measured against their quotas.</summary>
    public TimeSpan StorageScanInterval { get; init; } = TimeSpan.FromMinutes(1);
}
