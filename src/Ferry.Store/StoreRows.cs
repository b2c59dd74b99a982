using System.Data.Common;

namespace Ferry.Store;

/// <summary>
/// How rows of the store's tables become records, for every backend: both schemas keep the same columns in the same
/// order, times as UTC unix milliseconds and enums as their names.
/// </summary>
internal static class StoreRows
{
    public const int MaxQueryLimit = 10_000;

    public const string AppStageColumns = "id, tenant, service, stage, region, active_revision_id, created_at, updated_at";
    public const string RevisionColumns = "id, app_stage_id, number, artifact_sha256, manifest_json, created_at";
    public const string LogColumns = "id, app_stage_id, revision_id, function, request_id, instance_id, logged_at, stream, message, line_count";

    public const string InvocationColumns =
        "request_id, tenant, app_stage_id, revision_id, function, started_at, duration_ms, billed_duration_ms, " +
        "memory_size_mb, max_memory_used_mb, status, cold_start, error";

    public const string TokenColumns = "id, tenant, name, roles, prefix, created_at, revoked_at";

    public const string VersionColumns =
        "v.id, t.name, v.version, v.digest, v.package_sha256, v.key_id, v.status, v.definition_json, v.changelog, " +
        "v.submitted_by, v.submitted_at, v.reviewed_by, v.review_comment, v.reviewed_at";

    public const string VersionFrom = "FROM template_versions v JOIN templates t ON t.id = v.template_id";
    public const string InstallColumns = "id, tenant, app_stage_id, hub, template, version, parameters_json, created_at, updated_at";

    /// <summary>Every invocation that did not succeed counts as an error: handler errors, crashes and timeouts.</summary>
    public const string Failed = "status <> 'Success'";

    public static int ClampLimit(int limit) => Math.Clamp(limit, 1, MaxQueryLimit);

    /// <summary>Escapes LIKE's wildcards (with <c>\</c> as the escape character) so a needle is matched literally.</summary>
    public static string EscapeLike(string needle) =>
        needle.Replace(@"\", @"\\", StringComparison.Ordinal)
            .Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal);

    public static string JoinRoles(IReadOnlyCollection<Role> roles) => string.Join(',', roles.Distinct().Order());

    public static async Task<T?> ReadSingleAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? read(reader) : null;
    }

    public static async Task<List<T>> ReadAllAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public static AppStage ReadAppStage(DbDataReader reader) => new(
        Id: reader.GetInt64(0),
        Tenant: reader.GetString(1),
        Service: reader.GetString(2),
        Stage: reader.GetString(3),
        Region: reader.GetString(4),
        ActiveRevisionId: reader.IsDBNull(5) ? null : reader.GetInt64(5),
        CreatedAt: reader.GetUnixMilliseconds(6),
        UpdatedAt: reader.GetUnixMilliseconds(7));

    public static Revision ReadRevision(DbDataReader reader) => new(
        Id: reader.GetInt64(0),
        AppStageId: reader.GetInt64(1),
        Number: reader.GetInt32(2),
        ArtifactSha256: reader.GetString(3),
        ManifestJson: reader.GetString(4),
        CreatedAt: reader.GetUnixMilliseconds(5));

    /// <summary>The lines of one row of <see cref="LogColumns"/> (several when the row holds several lines of one request).</summary>
    public static IReadOnlyList<LogEntry> ReadLogLines(DbDataReader reader) => [.. LogEntry.FromRow(
        lastId: reader.GetInt64(0),
        appStageId: reader.GetInt64(1),
        revisionId: reader.GetInt64(2),
        function: reader.GetString(3),
        requestId: reader.GetNullableString(4),
        instanceId: reader.GetString(5),
        time: reader.GetUnixMilliseconds(6),
        stream: reader.GetEnum<LogStream>(7),
        message: reader.GetString(8),
        lineCount: reader.GetInt32(9))];

    public static InvocationRecord ReadInvocation(DbDataReader reader) => new(
        RequestId: reader.GetString(0),
        Tenant: reader.GetString(1),
        AppStageId: reader.GetInt64(2),
        RevisionId: reader.GetInt64(3),
        Function: reader.GetString(4),
        Start: reader.GetUnixMilliseconds(5),
        DurationMs: reader.GetDouble(6),
        BilledDurationMs: reader.GetInt64(7),
        MemorySizeMb: reader.GetInt32(8),
        MaxMemoryUsedMb: reader.IsDBNull(9) ? null : reader.GetInt32(9),
        Status: reader.GetEnum<InvocationStatus>(10),
        ColdStart: reader.GetBoolean(11),
        Error: reader.GetNullableString(12));

    public static FunctionUsage ReadFunctionUsage(DbDataReader reader) => new(
        Tenant: reader.GetString(0),
        AppStageId: reader.GetInt64(1),
        Service: reader.GetString(2),
        Stage: reader.GetString(3),
        Region: reader.GetString(4),
        Function: reader.GetString(5),
        Invocations: reader.GetInt64(6),
        BilledDurationMs: reader.GetInt64(7),
        MemoryMbMilliseconds: reader.GetInt64(8));

    public static FunctionStats ReadFunctionStats(DbDataReader reader) => new(
        Function: reader.GetString(0),
        Invocations: reader.GetInt64(1),
        Errors: reader.GetInt64(2),
        ColdStarts: reader.GetInt64(3),
        P50DurationMs: reader.GetDouble(4),
        P95DurationMs: reader.GetDouble(5),
        MaxDurationMs: reader.GetDouble(6));

    public static ErrorGroup ReadErrorGroup(DbDataReader reader) => new(
        Function: reader.GetString(0),
        Status: reader.GetEnum<InvocationStatus>(1),
        Error: reader.GetNullableString(2),
        Count: reader.GetInt64(3),
        FirstSeen: reader.GetUnixMilliseconds(4),
        LastSeen: reader.GetUnixMilliseconds(5),
        LastRequestId: reader.GetString(6));

    public static CustomDomainRecord ReadCustomDomain(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), r.GetString(5), r.GetString(6),
        r.GetBoolean(7), r.GetUnixMilliseconds(8));

    public static ApiKeyRecord ReadApiKey(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetUnixMilliseconds(4));

    public static Tenant ReadTenant(DbDataReader reader) => new(reader.GetString(0), reader.GetUnixMilliseconds(1));

    /// <summary>The quota columns (max_instances, max_memory_mb, max_storage_mb, max_log_mb_per_day, allow_outbound_network) from <paramref name="first"/>.</summary>
    public static TenantQuota ReadTenantQuota(DbDataReader reader, int first) => new(
        MaxInstances: reader.IsDBNull(first) ? null : reader.GetInt32(first),
        MaxMemoryMb: reader.IsDBNull(first + 1) ? null : reader.GetInt32(first + 1),
        MaxStorageMb: reader.IsDBNull(first + 2) ? null : reader.GetInt64(first + 2),
        MaxLogMbPerDay: reader.IsDBNull(first + 3) ? null : reader.GetInt64(first + 3),
        AllowOutboundNetwork: reader.IsDBNull(first + 4) ? null : reader.GetBoolean(first + 4));

    public static ApiToken ReadToken(DbDataReader reader) => ReadToken(reader, first: 0);

    /// <summary>A token from <see cref="TokenColumns"/> starting at column <paramref name="first"/>.</summary>
    public static ApiToken ReadToken(DbDataReader reader, int first) => new(
        Id: reader.GetInt64(first),
        Tenant: reader.GetString(first + 1),
        Name: reader.GetString(first + 2),
        Roles: reader.GetString(first + 3).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<Role>).ToHashSet(),
        Prefix: reader.GetString(first + 4),
        CreatedAt: reader.GetUnixMilliseconds(first + 5),
        RevokedAt: reader.IsDBNull(first + 6) ? null : reader.GetUnixMilliseconds(first + 6));

    public static TemplateRecord ReadTemplate(DbDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetUnixMilliseconds(3));

    public static SigningKeyRecord ReadKey(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetUnixMilliseconds(3));

    /// <summary>tenant, name, url, token, created_at[, private_allowed] (0/1 in SQLite, boolean in PostgreSQL).</summary>
    public static HubRecord ReadHub(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetUnixMilliseconds(4))
    {
        PrivateAddressesAllowed = r.FieldCount > 5 && Convert.ToBoolean(r.GetValue(5), System.Globalization.CultureInfo.InvariantCulture),
    };

    public static TemplateVersionRecord ReadVersion(DbDataReader r) => new(
        Id: r.GetInt64(0),
        Template: r.GetString(1),
        Version: r.GetString(2),
        Digest: r.GetString(3),
        PackageSha256: r.GetString(4),
        KeyId: r.GetString(5),
        Status: r.GetEnum<TemplateVersionStatus>(6),
        DefinitionJson: r.GetString(7),
        Changelog: r.GetNullableString(8),
        SubmittedBy: r.GetString(9),
        SubmittedAt: r.GetUnixMilliseconds(10),
        ReviewedBy: r.GetNullableString(11),
        ReviewComment: r.GetNullableString(12),
        ReviewedAt: r.IsDBNull(13) ? null : r.GetUnixMilliseconds(13));

    public static InstallRecord ReadInstall(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        r.GetUnixMilliseconds(7), r.GetUnixMilliseconds(8));
}

internal static class StoreReaderExtensions
{
    public static long ToUnixMilliseconds(this DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset GetUnixMilliseconds(this DbDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static string? GetNullableString(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static TEnum GetEnum<TEnum>(this DbDataReader reader, int ordinal)
        where TEnum : struct, Enum =>
        Enum.Parse<TEnum>(reader.GetString(ordinal));
}
