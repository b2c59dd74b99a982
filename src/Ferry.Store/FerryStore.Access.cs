using static Ferry.Store.StoreRows;

namespace Ferry.Store;

public abstract partial class FerryStore
{
    public async Task<bool> CreateTenantAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                "INSERT INTO tenants (name, created_at) VALUES (@name, @now) ON CONFLICT (name) DO NOTHING;")
            .With("name", name).With("now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT name, created_at FROM tenants ORDER BY name;");
        return await ReadAllAsync(command, ReadTenant, cancellationToken);
    }

    public async Task<bool> TenantExistsAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT 1 FROM tenants WHERE name = @name;").With("name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task<ApiToken> CreateTokenAsync(string tenant, string name, IReadOnlyCollection<Role> roles, string secretHash, string prefix, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"""
            INSERT INTO api_tokens (tenant, name, roles, secret_hash, prefix, created_at)
            VALUES (@tenant, @name, @roles, @hash, @prefix, @now)
            RETURNING {TokenColumns};
            """)
            .With("tenant", tenant).With("name", name).With("roles", JoinRoles(roles))
            .With("hash", secretHash).With("prefix", prefix).With("now", Now());
        return (await ReadSingleAsync(command, ReadToken, cancellationToken))!;
    }

    public async Task<ApiToken?> FindActiveTokenAsync(string secretHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {TokenColumns} FROM api_tokens WHERE secret_hash = @hash AND revoked_at IS NULL;")
            .With("hash", secretHash);
        return await ReadSingleAsync(command, ReadToken, cancellationToken);
    }

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(string? tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {TokenColumns} FROM api_tokens WHERE (@tenant IS NULL OR tenant = @tenant) ORDER BY id;")
            .With("tenant", tenant);
        return await ReadAllAsync(command, ReadToken, cancellationToken);
    }

    public async Task<bool> RevokeTokenAsync(long id, string? tenant, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command(
                "UPDATE api_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL AND (@tenant IS NULL OR tenant = @tenant);")
            .With("id", id).With("tenant", tenant).With("now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<int> CountActiveTokensAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL;");
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task CreateAccessKeyAsync(long tokenId, string accessKeyId, string secretAccessKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var insert = connection.Command(
                "INSERT INTO access_keys (access_key_id, secret, token_id, created_at) VALUES (@id, @secret, @token, @now);")
            .With("id", accessKeyId).With("secret", _secrets.Seal(secretAccessKey)).With("token", tokenId).With("now", Now());
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AccessKey?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var find = connection.Command($"""
                SELECT k.access_key_id, k.secret, {string.Join(", ", TokenColumns.Split(", ").Select(c => "t." + c))}
                FROM access_keys k JOIN api_tokens t ON t.id = k.token_id
                WHERE k.access_key_id = @id AND t.revoked_at IS NULL;
                """).With("id", accessKeyId);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new AccessKey(reader.GetString(0), _secrets.Open(reader.GetString(1)), ReadToken(reader, first: 2));
    }
}
