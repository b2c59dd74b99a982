namespace Ferry.Store.Tests;

public abstract class CustomDomainStoreTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_host_is_bound_to_an_app_stage_rebound_by_its_tenant_and_listed_with_the_app_stage_names()
    {
        var (dev, _) = await Store.AddRevisionAsync("acme", "shop", "dev", "local", "sha", "{}", None);
        var (prod, _) = await Store.AddRevisionAsync("acme", "shop", "prod", "local", "sha", "{}", None);

        var bound = await Store.BindCustomDomainAsync("acme", "api.example.com", "", dev.Id, fromManifest: false, None);
        Assert.Equal(new CustomDomainRecord("api.example.com", "", "acme", dev.Id, "shop", "dev", "local", false, T0), bound.Bound);
        Assert.Null(bound.HeldByOtherTenant);

        await Store.BindCustomDomainAsync("acme", "api.example.com", "/v2", prod.Id, fromManifest: true, None);
        var rebound = await Store.BindCustomDomainAsync("acme", "api.example.com", "", prod.Id, fromManifest: false, None);
        Assert.Equal(prod.Id, rebound.Bound!.AppStageId);

        var all = await Store.ListCustomDomainsAsync(None);
        Assert.Equal([("api.example.com", "", "prod", false), ("api.example.com", "/v2", "prod", true)],
            all.Select(d => (d.Host, d.BasePath, d.Stage, d.FromManifest)));
    }

    [Fact]
    public async Task Another_tenant_cannot_bind_a_held_host_or_an_overlapping_wildcard()
    {
        var (acme, _) = await Store.AddRevisionAsync("acme", "shop", "dev", "local", "sha", "{}", None);
        var (other, _) = await Store.AddRevisionAsync("other", "blog", "dev", "local", "sha", "{}", None);
        await Store.BindCustomDomainAsync("acme", "api.example.com", "", acme.Id, false, None);

        var sameHost = await Store.BindCustomDomainAsync("other", "api.example.com", "/blog", other.Id, false, None);
        Assert.Null(sameHost.Bound);
        Assert.Equal("acme", sameHost.HeldByOtherTenant!.Tenant);

        var wildcardAbove = await Store.BindCustomDomainAsync("other", "*.example.com", "", other.Id, false, None);
        Assert.Equal("api.example.com", wildcardAbove.HeldByOtherTenant!.Host);

        // Two labels below, or a sibling name, do not overlap.
        Assert.NotNull((await Store.BindCustomDomainAsync("other", "*.api.example.com", "", other.Id, false, None)).Bound);
        Assert.NotNull((await Store.BindCustomDomainAsync("other", "www.example.com", "", other.Id, false, None)).Bound);
        Assert.Equal("www.example.com",
            (await Store.BindCustomDomainAsync("acme", "*.example.com", "", acme.Id, false, None)).HeldByOtherTenant!.Host);

        Assert.Equal(0, await Store.UnbindCustomDomainAsync("other", "api.example.com", null, None));
        Assert.Equal(3, (await Store.ListCustomDomainsAsync(None)).Count);
    }

    [Fact]
    public async Task Bindings_are_removed_by_host_and_base_path_and_go_with_their_app_stage()
    {
        var (dev, _) = await Store.AddRevisionAsync("acme", "shop", "dev", "local", "sha", "{}", None);
        var (prod, _) = await Store.AddRevisionAsync("acme", "shop", "prod", "local", "sha", "{}", None);
        await Store.BindCustomDomainAsync("acme", "api.example.com", "", dev.Id, false, None);
        await Store.BindCustomDomainAsync("acme", "api.example.com", "/v1", dev.Id, false, None);
        await Store.BindCustomDomainAsync("acme", "www.example.com", "", prod.Id, false, None);

        Assert.Equal(1, await Store.UnbindCustomDomainAsync("acme", "api.example.com", "/v1", None));
        Assert.True(await Store.DeleteAppStageAsync(dev.Id, None));
        Assert.Equal(["www.example.com"], (await Store.ListCustomDomainsAsync(None)).Select(d => d.Host));
        Assert.Equal(1, await Store.UnbindCustomDomainAsync("acme", "www.example.com", null, None));
        Assert.Empty(await Store.ListCustomDomainsAsync(None));
    }
}

public sealed class SqliteCustomDomainStoreTests : CustomDomainStoreTests<SqliteBackend>;

public sealed class PostgresCustomDomainStoreTests : CustomDomainStoreTests<PostgresBackend>;
