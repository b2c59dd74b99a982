using static Ferry.Store.StoreRows;

namespace Ferry.Store;

public abstract partial class FerryStore
{
    private const string ApiKeyColumns = "id, app_stage_id, name, prefix, created_at";

    public async Task<ApiKeyRecord?> CreateApiKeyAsync(long appStageId, string name, string keyHash, string prefix, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"""
            INSERT INTO api_keys (app_stage_id, name, key_hash, prefix, created_at)
            VALUES (@stage, @name, @hash, @prefix, @now)
            ON CONFLICT DO NOTHING
            RETURNING {ApiKeyColumns};
            """)
            .With("stage", appStageId).With("name", name).With("hash", keyHash).With("prefix", prefix).With("now", Now());
        return await ReadSingleAsync(command, ReadApiKey, cancellationToken);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(long appStageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {ApiKeyColumns} FROM api_keys WHERE app_stage_id = @stage ORDER BY name;")
            .With("stage", appStageId);
        return await ReadAllAsync(command, ReadApiKey, cancellationToken);
    }

    public async Task<bool> DeleteApiKeyAsync(long appStageId, string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command("DELETE FROM api_keys WHERE app_stage_id = @stage AND name = @name;")
            .With("stage", appStageId).With("name", name);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> ApiKeyExistsAsync(long appStageId, string keyHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT 1 FROM api_keys WHERE app_stage_id = @stage AND key_hash = @hash;")
            .With("stage", appStageId).With("hash", keyHash);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
