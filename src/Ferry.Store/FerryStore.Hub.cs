using static Ferry.Store.StoreRows;

namespace Ferry.Store;

public abstract partial class FerryStore
{
    private const string TemplateColumns = "id, name, provider_tenant, created_at";

    public async Task<TemplateRecord> GetOrCreateTemplateAsync(string name, string providerTenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var insert = connection.Command(
                         "INSERT INTO templates (name, provider_tenant, created_at) VALUES (@name, @tenant, @now) ON CONFLICT (name) DO NOTHING;")
                     .With("name", name).With("tenant", providerTenant).With("now", Now()))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var find = connection.Command($"SELECT {TemplateColumns} FROM templates WHERE name = @name;").With("name", name);
        return (await ReadSingleAsync(find, ReadTemplate, cancellationToken))!;
    }

    public async Task<TemplateRecord?> FindTemplateAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var find = connection.Command($"SELECT {TemplateColumns} FROM templates WHERE name = @name;").With("name", name);
        return await ReadSingleAsync(find, ReadTemplate, cancellationToken);
    }

    public async Task<IReadOnlyList<TemplateRecord>> ListTemplatesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = connection.Command($"SELECT {TemplateColumns} FROM templates ORDER BY name;");
        return await ReadAllAsync(list, ReadTemplate, cancellationToken);
    }

    public async Task<TemplateVersionRecord?> AddVersionAsync(long templateId, string version, string digest, string packageSha256, string keyId,
        string definitionJson, string? changelog, string submittedBy, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        long id;
        await using (var insert = connection.Command("""
                         INSERT INTO template_versions (template_id, version, digest, package_sha256, key_id, status, definition_json, changelog, submitted_by, submitted_at)
                         VALUES (@template, @version, @digest, @package, @key, 'Pending', @definition, @changelog, @by, @now)
                         ON CONFLICT (template_id, version) DO NOTHING
                         RETURNING id;
                         """)
                     .With("template", templateId).With("version", version).With("digest", digest).With("package", packageSha256)
                     .With("key", keyId).With("definition", definitionJson).With("changelog", changelog).With("by", submittedBy).With("now", Now()))
        {
            if (await insert.ExecuteScalarAsync(cancellationToken) is not long inserted)
            {
                return null;
            }

            id = inserted;
        }

        await using var find = connection.Command($"SELECT {VersionColumns} {VersionFrom} WHERE v.id = @id;").With("id", id);
        return await ReadSingleAsync(find, ReadVersion, cancellationToken);
    }

    public async Task<TemplateVersionRecord?> FindVersionAsync(string template, string version, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var find = connection.Command($"SELECT {VersionColumns} {VersionFrom} WHERE t.name = @name AND v.version = @version;")
            .With("name", template).With("version", version);
        return await ReadSingleAsync(find, ReadVersion, cancellationToken);
    }

    public async Task<IReadOnlyList<TemplateVersionRecord>> ListVersionsAsync(string template, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = connection.Command($"SELECT {VersionColumns} {VersionFrom} WHERE t.name = @name ORDER BY v.id;").With("name", template);
        return await ReadAllAsync(list, ReadVersion, cancellationToken);
    }

    public async Task<IReadOnlyList<TemplateVersionRecord>> ListVersionsByStatusAsync(TemplateVersionStatus status, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = connection.Command($"SELECT {VersionColumns} {VersionFrom} WHERE v.status = @status ORDER BY v.id;")
            .With("status", status.ToString());
        return await ReadAllAsync(list, ReadVersion, cancellationToken);
    }

    public async Task<bool> SetVersionStatusAsync(long versionId, TemplateVersionStatus status, string reviewer, string? comment, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var update = connection.Command(
                "UPDATE template_versions SET status = @status, reviewed_by = @reviewer, review_comment = @comment, reviewed_at = @now WHERE id = @id;")
            .With("status", status.ToString()).With("reviewer", reviewer).With("comment", comment).With("now", Now()).With("id", versionId);
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> AddSigningKeyAsync(string keyId, string tenant, string publicKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var insert = connection.Command(
                "INSERT INTO signing_keys (key_id, tenant, public_key, created_at) VALUES (@id, @tenant, @key, @now) ON CONFLICT (key_id) DO NOTHING;")
            .With("id", keyId).With("tenant", tenant).With("key", publicKey).With("now", Now());
        return await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<SigningKeyRecord?> FindSigningKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var find = connection.Command("SELECT key_id, tenant, public_key, created_at FROM signing_keys WHERE key_id = @id;").With("id", keyId);
        return await ReadSingleAsync(find, ReadKey, cancellationToken);
    }

    public async Task<IReadOnlyList<SigningKeyRecord>> ListSigningKeysAsync(string? tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = connection.Command(
                $"SELECT key_id, tenant, public_key, created_at FROM signing_keys WHERE (@tenant IS NULL OR tenant = @tenant) ORDER BY created_at, {_dialect.SigningKeyInsertionOrder};")
            .With("tenant", tenant);
        return await ReadAllAsync(list, ReadKey, cancellationToken);
    }

    public async Task<InstallRecord> SaveInstallAsync(string tenant, long appStageId, string hub, string template, string version, string parametersJson, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var upsert = connection.Command($"""
                INSERT INTO installs (tenant, app_stage_id, hub, template, version, parameters_json, created_at, updated_at)
                VALUES (@tenant, @appStage, @hub, @template, @version, @parameters, @now, @now)
                ON CONFLICT (app_stage_id) DO UPDATE SET hub = excluded.hub, template = excluded.template, version = excluded.version,
                    parameters_json = excluded.parameters_json, updated_at = excluded.updated_at
                RETURNING {InstallColumns};
                """)
            .With("tenant", tenant).With("appStage", appStageId).With("hub", hub).With("template", template)
            .With("version", version).With("parameters", _secrets.Seal(parametersJson)).With("now", Now());
        return (await ReadSingleAsync(upsert, ReadInstallRevealed, cancellationToken))!;
    }

    public async Task<InstallRecord?> FindInstallAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var find = connection.Command($"SELECT {InstallColumns} FROM installs WHERE app_stage_id = @id;").With("id", appStageId);
        return await ReadSingleAsync(find, ReadInstallRevealed, cancellationToken);
    }

    public async Task<IReadOnlyList<InstallRecord>> ListInstallsAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = connection.Command($"SELECT {InstallColumns} FROM installs WHERE tenant = @tenant ORDER BY id;").With("tenant", tenant);
        return await ReadAllAsync(list, ReadInstallRevealed, cancellationToken);
    }

    public async Task RecordInstallRevisionAsync(long revisionId, string version, string parametersJson, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var upsert = connection.Command("""
                INSERT INTO install_revisions (revision_id, version, parameters_json) VALUES (@id, @version, @parameters)
                ON CONFLICT (revision_id) DO UPDATE SET version = excluded.version, parameters_json = excluded.parameters_json;
                """)
            .With("id", revisionId).With("version", version).With("parameters", _secrets.Seal(parametersJson));
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(string Version, string ParametersJson)?> FindInstallRevisionAsync(long revisionId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var find = connection.Command("SELECT version, parameters_json FROM install_revisions WHERE revision_id = @id;").With("id", revisionId);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), _secrets.Open(reader.GetString(1))) : null;
    }

    public async Task SaveHubAsync(string tenant, string name, string url, string token, bool privateAddressesAllowed, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var upsert = connection.Command("""
                INSERT INTO hubs (tenant, name, url, token, created_at, private_allowed) VALUES (@tenant, @name, @url, @token, @now, @private)
                ON CONFLICT (tenant, name) DO UPDATE SET url = excluded.url, token = excluded.token, private_allowed = excluded.private_allowed;
                """)
            .With("tenant", tenant).With("name", name).With("url", url).With("token", token).With("now", Now())
            .With("private", privateAddressesAllowed);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<HubRecord>> ListHubsAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = connection.Command("SELECT tenant, name, url, token, created_at, private_allowed FROM hubs WHERE tenant = @tenant ORDER BY name;")
            .With("tenant", tenant);
        return await ReadAllAsync(list, ReadHub, cancellationToken);
    }

    /// <summary>An install row with its parameter values decrypted.</summary>
    private InstallRecord ReadInstallRevealed(System.Data.Common.DbDataReader reader)
    {
        var install = ReadInstall(reader);
        return install with { ParametersJson = _secrets.Open(install.ParametersJson) };
    }
}
