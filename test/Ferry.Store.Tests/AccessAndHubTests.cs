using System.Data.Common;

namespace Ferry.Store.Tests;

public abstract class AccessAndHubTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Tenants_are_created_once_and_listed_by_name()
    {
        Assert.True(await Store.CreateTenantAsync("zeta", None));
        Assert.True(await Store.CreateTenantAsync("acme", None));
        Assert.False(await Store.CreateTenantAsync("acme", None));

        Assert.Equal([new Tenant("acme", T0), new Tenant("zeta", T0)], await Store.ListTenantsAsync(None));
        Assert.True(await Store.TenantExistsAsync("zeta", None));
        Assert.False(await Store.TenantExistsAsync("nobody", None));
    }

    [Fact]
    public async Task Tokens_are_found_by_hash_until_revoked_and_only_by_their_tenant()
    {
        await Store.CreateTenantAsync("acme", None);
        await Store.CreateTenantAsync("other", None);
        var token = await Store.CreateTokenAsync("acme", "ci", [Role.Provider, Role.Consumer, Role.Provider], "hash-1", "fy_abc", None);
        var second = await Store.CreateTokenAsync("other", "ops", [Role.Admin], "hash-2", "fy_def", None);

        AssertSameToken(new ApiToken(token.Id, "acme", "ci", token.Roles, "fy_abc", T0, null), await Store.FindActiveTokenAsync("hash-1", None));
        Assert.True(token.Roles.SetEquals([Role.Provider, Role.Consumer]));
        Assert.Equal([token.Id, second.Id], (await Store.ListTokensAsync(null, None)).Select(t => t.Id));
        Assert.Equal([second.Id], (await Store.ListTokensAsync("other", None)).Select(t => t.Id));
        Assert.Equal(2, await Store.CountActiveTokensAsync(None));

        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(await Store.RevokeTokenAsync(token.Id, "other", None));
        Assert.True(await Store.RevokeTokenAsync(token.Id, "acme", None));
        Assert.False(await Store.RevokeTokenAsync(token.Id, null, None));

        Assert.Null(await Store.FindActiveTokenAsync("hash-1", None));
        Assert.Equal(T0.AddMinutes(1), (await Store.ListTokensAsync("acme", None)).Single().RevokedAt);
        Assert.Equal(1, await Store.CountActiveTokensAsync(None));
    }

    /// <summary>Records compare sets by reference; roles are compared as sets.</summary>
    private static void AssertSameToken(ApiToken expected, ApiToken? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Roles = actual.Roles }, actual);
        Assert.True(expected.Roles.SetEquals(actual.Roles));
    }

    [Fact]
    public async Task A_token_needs_an_existing_tenant_and_a_new_secret()
    {
        await Store.CreateTenantAsync("acme", None);
        await Store.CreateTokenAsync("acme", "ci", [Role.Consumer], "hash-1", "fy_abc", None);

        await Assert.ThrowsAnyAsync<DbException>(() => Store.CreateTokenAsync("nobody", "ci", [Role.Consumer], "hash-2", "fy_x", None));
        await Assert.ThrowsAnyAsync<DbException>(() => Store.CreateTokenAsync("acme", "again", [Role.Consumer], "hash-1", "fy_y", None));
        Assert.Single(await Store.ListTokensAsync(null, None));
    }

    [Fact]
    public async Task Access_keys_act_as_their_token_until_it_is_revoked()
    {
        await Store.CreateTenantAsync("acme", None);
        var token = await Store.CreateTokenAsync("acme", "sdk", [Role.Consumer], "hash-1", "fy_abc", None);
        await Store.CreateAccessKeyAsync(token.Id, "AKIAFERRY1", "secret-1", None);

        var key = await Store.FindAccessKeyAsync("AKIAFERRY1", None);
        Assert.Equal(("AKIAFERRY1", "secret-1"), (key!.AccessKeyId, key.SecretAccessKey));
        AssertSameToken(token, key.Token);
        Assert.Null(await Store.FindAccessKeyAsync("AKIAUNKNOWN", None));
        await Store.RevokeTokenAsync(token.Id, null, None);
        Assert.Null(await Store.FindAccessKeyAsync("AKIAFERRY1", None));
    }

    [Fact]
    public async Task A_template_version_is_added_once_and_reviewed()
    {
        var template = await Store.GetOrCreateTemplateAsync("blog", "provider", None);
        Assert.Equal(template, await Store.GetOrCreateTemplateAsync("blog", "someone-else", None));
        var version = await Store.AddVersionAsync(template.Id, "1.0.0", "sha256:d1", "pkg1", "key1", "{}", null, "alice", None);

        Assert.NotNull(version);
        Assert.Null(await Store.AddVersionAsync(template.Id, "1.0.0", "sha256:d2", "pkg2", "key1", "{}", "again", "alice", None));
        Assert.Equal(TemplateVersionStatus.Pending, version.Status);
        Assert.Equal([version], await Store.ListVersionsByStatusAsync(TemplateVersionStatus.Pending, None));

        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await Store.SetVersionStatusAsync(version.Id, TemplateVersionStatus.Approved, "bob", "looks good", None));
        Assert.False(await Store.SetVersionStatusAsync(999, TemplateVersionStatus.Approved, "bob", null, None));

        var reviewed = await Store.FindVersionAsync("blog", "1.0.0", None);
        Assert.Equal(version with { Status = TemplateVersionStatus.Approved, ReviewedBy = "bob", ReviewComment = "looks good", ReviewedAt = T0.AddMinutes(5) }, reviewed);
        Assert.Equal([template], await Store.ListTemplatesAsync(None));
        Assert.Equal(["1.0.0"], (await Store.ListVersionsAsync("blog", None)).Select(v => v.Version));
        Assert.Contains("pkg1", await Store.ListReferencedArtifactsAsync(None));
        Assert.Null(await Store.FindTemplateAsync("missing", None));
    }

    [Fact]
    public async Task Signing_keys_are_registered_once_and_listed_in_registration_order()
    {
        Assert.True(await Store.AddSigningKeyAsync("k2", "acme", "pub2", None));
        Assert.True(await Store.AddSigningKeyAsync("k1", "acme", "pub1", None));
        Assert.True(await Store.AddSigningKeyAsync("k3", "other", "pub3", None));
        Assert.False(await Store.AddSigningKeyAsync("k1", "other", "stolen", None));

        Assert.Equal(["k2", "k1"], (await Store.ListSigningKeysAsync("acme", None)).Select(k => k.KeyId));
        Assert.Equal(["k2", "k1", "k3"], (await Store.ListSigningKeysAsync(null, None)).Select(k => k.KeyId));
        Assert.Equal(new SigningKeyRecord("k1", "acme", "pub1", T0), await Store.FindSigningKeyAsync("k1", None));
    }

    [Fact]
    public async Task Installs_and_install_revisions_are_replaced_and_go_with_their_app_stage()
    {
        var (app, revision) = await DeployAsync();
        await Store.SaveInstallAsync("acme", app.Id, "local", "blog", "1.0.0", """{"a":1}""", None);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var upgraded = await Store.SaveInstallAsync("acme", app.Id, "remote", "blog", "1.1.0", """{"a":2}""", None);
        await Store.RecordInstallRevisionAsync(revision.Id, "1.0.0", "{}", None);
        await Store.RecordInstallRevisionAsync(revision.Id, "1.1.0", """{"a":2}""", None);

        Assert.Equal(("remote", "1.1.0", T0, T0.AddMinutes(1)), (upgraded.Hub, upgraded.Version, upgraded.CreatedAt, upgraded.UpdatedAt));
        Assert.Equal(upgraded, await Store.FindInstallAsync(app.Id, None));
        Assert.Equal([upgraded], await Store.ListInstallsAsync("acme", None));
        Assert.Equal(("1.1.0", """{"a":2}"""), await Store.FindInstallRevisionAsync(revision.Id, None));

        await Store.DeleteAppStageAsync(app.Id, None);
        Assert.Null(await Store.FindInstallAsync(app.Id, None));
        Assert.Null(await Store.FindInstallRevisionAsync(revision.Id, None));
    }

    [Fact]
    public async Task Hubs_are_added_or_replaced_per_tenant()
    {
        await Store.SaveHubAsync("acme", "corp", "https://old.example", "t1", None);
        await Store.SaveHubAsync("acme", "corp", "https://new.example", "t2", None);
        await Store.SaveHubAsync("acme", "another", "https://a.example", "t3", None);
        await Store.SaveHubAsync("other", "corp", "https://x.example", "t4", None);

        Assert.Equal(
            [new HubRecord("acme", "another", "https://a.example", "t3", T0), new HubRecord("acme", "corp", "https://new.example", "t2", T0)],
            await Store.ListHubsAsync("acme", None));
    }

    [Fact]
    public async Task A_hub_remembers_whether_it_may_be_on_a_private_address()
    {
        await Store.SaveHubAsync("acme", "public", "https://hub.example", "t1", None);
        await Store.SaveHubAsync("acme", "internal", "http://10.0.0.5", "t2", privateAddressesAllowed: true, None);

        var hubs = await Store.ListHubsAsync("acme", None);

        Assert.Equal([("internal", true), ("public", false)], hubs.Select(h => (h.Name, h.PrivateAddressesAllowed)));
    }
}

public sealed class SqliteAccessAndHubTests : AccessAndHubTests<SqliteBackend>;

public sealed class PostgresAccessAndHubTests : AccessAndHubTests<PostgresBackend>;
