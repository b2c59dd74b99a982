using Ferry.Manifest;
using static Ferry.Store.CustomDomainQueries;
using static Ferry.Store.StoreRows;

namespace Ferry.Store;

public abstract partial class FerryStore
{
    /// <summary>Serializes binds (rows that do not exist yet cannot be locked).</summary>
    private const long CustomDomainLock = 0x46_65_72_72_79_44_6f_6d; // "FerryDom"

    public async Task<IReadOnlyList<CustomDomainRecord>> ListCustomDomainsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {Columns} FROM {From} ORDER BY d.host, d.base_path;");
        return await ReadAllAsync(command, ReadCustomDomain, cancellationToken);
    }

    public async Task<CustomDomainBindResult> BindCustomDomainAsync(
        string tenant, string host, string basePath, long appStageId, bool fromManifest, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // Two tenants binding the same host one after the other, never both.
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        await _dialect.SerializeAsync(transaction, CustomDomainLock, cancellationToken);

        var (exact, wildcard, below) = Candidates(host);
        await using (var find = connection.Command(
                         $"SELECT {Columns} FROM {From} WHERE d.tenant <> @tenant AND (d.host = @host OR d.host = @wildcard OR d.host LIKE @below);",
                         transaction)
                     .With("tenant", tenant).With("host", exact).With("wildcard", wildcard).With("below", below))
        {
            var held = (await ReadAllAsync(find, ReadCustomDomain, cancellationToken)).FirstOrDefault(d => DomainNameRules.Overlaps(d.Host, host));
            if (held is not null)
            {
                return new CustomDomainBindResult(null, held);
            }
        }

        await using (var upsert = connection.Command("""
                         INSERT INTO custom_domains (host, base_path, tenant, app_stage_id, from_manifest, created_at)
                         VALUES (@host, @base, @tenant, @stage, @manifest, @now)
                         ON CONFLICT (host, base_path) DO UPDATE SET app_stage_id = excluded.app_stage_id,
                             from_manifest = excluded.from_manifest, created_at = excluded.created_at
                         WHERE custom_domains.tenant = excluded.tenant;
                         """, transaction)
                     .With("host", host).With("base", basePath).With("tenant", tenant).With("stage", appStageId)
                     .With("manifest", fromManifest).With("now", Now()))
        {
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        CustomDomainRecord? bound;
        await using (var read = connection.Command($"SELECT {Columns} FROM {From} WHERE d.host = @host AND d.base_path = @base;", transaction)
                         .With("host", host).With("base", basePath))
        {
            bound = await ReadSingleAsync(read, ReadCustomDomain, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new CustomDomainBindResult(bound, null);
    }

    public async Task<int> UnbindCustomDomainAsync(string tenant, string host, string? basePath, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                "DELETE FROM custom_domains WHERE tenant = @tenant AND host = @host AND (@base IS NULL OR base_path = @base);")
            .With("tenant", tenant).With("host", host).With("base", basePath);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
