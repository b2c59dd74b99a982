namespace Ferry.Store.Tests;

public abstract class ApiKeyStoreTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Api_keys_are_found_by_hash_in_their_app_stage_only_and_deleted_by_name()
    {
        var (dev, _) = await Store.AddRevisionAsync("acme", "shop", "dev", "local", "sha", "{}", None);
        var (prod, _) = await Store.AddRevisionAsync("acme", "shop", "prod", "local", "sha", "{}", None);

        var created = await Store.CreateApiKeyAsync(dev.Id, "partner", "hash-1", "fk_abc", None);
        Assert.Equal(new ApiKeyRecord(created!.Id, dev.Id, "partner", "fk_abc", T0), created);
        await Store.CreateApiKeyAsync(dev.Id, "another", "hash-2", "fk_def", None);

        Assert.True(await Store.ApiKeyExistsAsync(dev.Id, "hash-1", None));
        Assert.False(await Store.ApiKeyExistsAsync(prod.Id, "hash-1", None));
        Assert.Equal(["another", "partner"], (await Store.ListApiKeysAsync(dev.Id, None)).Select(k => k.Name));
        Assert.Empty(await Store.ListApiKeysAsync(prod.Id, None));

        Assert.True(await Store.DeleteApiKeyAsync(dev.Id, "partner", None));
        Assert.False(await Store.DeleteApiKeyAsync(dev.Id, "partner", None));
        Assert.False(await Store.ApiKeyExistsAsync(dev.Id, "hash-1", None));
    }

    [Fact]
    public async Task A_name_or_value_used_twice_in_an_app_stage_is_refused_and_keys_go_with_their_app_stage()
    {
        var (dev, _) = await Store.AddRevisionAsync("acme", "shop", "dev", "local", "sha", "{}", None);
        var (prod, _) = await Store.AddRevisionAsync("acme", "shop", "prod", "local", "sha", "{}", None);
        await Store.CreateApiKeyAsync(dev.Id, "partner", "hash-1", "fk_abc", None);

        Assert.Null(await Store.CreateApiKeyAsync(dev.Id, "partner", "hash-9", "fk_xyz", None));
        Assert.Null(await Store.CreateApiKeyAsync(dev.Id, "other", "hash-1", "fk_abc", None));
        Assert.NotNull(await Store.CreateApiKeyAsync(prod.Id, "partner", "hash-1", "fk_abc", None));

        Assert.True(await Store.DeleteAppStageAsync(dev.Id, None));
        Assert.False(await Store.ApiKeyExistsAsync(dev.Id, "hash-1", None));
        Assert.True(await Store.ApiKeyExistsAsync(prod.Id, "hash-1", None));
    }
}

public sealed class SqliteApiKeyStoreTests : ApiKeyStoreTests<SqliteBackend>;

public sealed class PostgresApiKeyStoreTests : ApiKeyStoreTests<PostgresBackend>;
