namespace Ferry.Store.Tests;

public abstract class AppStageAndRevisionTests<TBackend> : StoreTestBase<TBackend>
    where TBackend : StoreBackend, new()
{
    [Fact]
    public async Task First_deploy_creates_the_app_stage_with_revision_1_active()
    {
        var (appStage, revision) = await DeployAsync(artifact: "abc");

        Assert.Equal(new AppStage(appStage.Id, "acme", "orders", "dev", "local", revision.Id, T0, T0), appStage);
        Assert.Equal(new Revision(revision.Id, appStage.Id, 1, "abc", "{\"service\":\"orders\"}", T0), revision);
        Assert.Equal(appStage, await Store.FindAppStageAsync("acme", "orders", "dev", "local", CancellationToken.None));
        Assert.Equal(appStage, await Store.GetAppStageAsync(appStage.Id, CancellationToken.None));
        Assert.Equal(revision, await Store.GetRevisionAsync(revision.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Lookups_of_unknown_app_stages_and_revisions_return_null()
    {
        await DeployAsync();

        Assert.Null(await Store.FindAppStageAsync("acme", "orders", "dev", "eu-west-1", CancellationToken.None));
        Assert.Null(await Store.FindAppStageAsync("other", "orders", "dev", "local", CancellationToken.None));
        Assert.Null(await Store.GetAppStageAsync(999, CancellationToken.None));
        Assert.Null(await Store.GetRevisionAsync(999, CancellationToken.None));
    }

    [Fact]
    public async Task App_stages_are_listed_per_tenant_or_all_ordered_by_service_stage_region()
    {
        await DeployAsync(service: "orders", stage: "prod");
        await DeployAsync(service: "billing", stage: "dev", tenant: "globex");
        await DeployAsync(service: "orders", stage: "dev");
        await DeployAsync(service: "auth", stage: "dev");

        var acme = await Store.ListAppStagesAsync("acme", CancellationToken.None);
        var all = await Store.ListAppStagesAsync(null, CancellationToken.None);

        Assert.Equal(["auth/dev", "orders/dev", "orders/prod"], acme.Select(a => $"{a.Service}/{a.Stage}"));
        Assert.Equal(["auth", "billing", "orders", "orders"], all.Select(a => a.Service));
        Assert.Empty(await Store.ListAppStagesAsync("nobody", CancellationToken.None));
    }

    [Fact]
    public async Task Each_deploy_adds_the_next_revision_and_activates_it()
    {
        var (first, revision1) = await DeployAsync(artifact: "a1");
        Clock.Advance(TimeSpan.FromMinutes(1));
        await DeployAsync(artifact: "a2");
        Clock.Advance(TimeSpan.FromMinutes(1));
        var (appStage, revision3) = await DeployAsync(artifact: "a3");

        var revisions = await Store.ListRevisionsAsync(appStage.Id, CancellationToken.None);

        Assert.Equal(first.Id, appStage.Id);
        Assert.Equal(revision3.Id, appStage.ActiveRevisionId);
        Assert.Equal(T0, appStage.CreatedAt);
        Assert.Equal(T0.AddMinutes(2), appStage.UpdatedAt);
        Assert.Equal([3, 2, 1], revisions.Select(r => r.Number));
        Assert.Equal(["a3", "a2", "a1"], revisions.Select(r => r.ArtifactSha256));
        Assert.Equal(revision1, revisions[^1]);
    }

    [Fact]
    public async Task Revision_numbers_are_counted_per_app_stage()
    {
        await DeployAsync(stage: "dev");
        await DeployAsync(stage: "dev");
        var (_, prod) = await DeployAsync(stage: "prod");

        Assert.Equal(1, prod.Number);
    }

    [Fact]
    public async Task Concurrent_deploys_of_one_app_stage_get_distinct_consecutive_numbers()
    {
        var deploys = Enumerable.Range(0, 20).Select(i => Task.Run(() => DeployAsync(artifact: $"artifact-{i}")));

        var results = await Task.WhenAll(deploys);

        Assert.Single(results.Select(r => r.AppStage.Id).Distinct());
        Assert.Equal(Enumerable.Range(1, 20), results.Select(r => r.Revision.Number).Order());
        var appStage = (await Store.GetAppStageAsync(results[0].AppStage.Id, CancellationToken.None))!;
        var active = (await Store.GetRevisionAsync(appStage.ActiveRevisionId!.Value, CancellationToken.None))!;
        Assert.Equal(20, active.Number);
    }

    [Fact]
    public async Task Setting_the_active_revision_rolls_back_and_touches_updated_at()
    {
        var (_, revision1) = await DeployAsync();
        var (appStage, _) = await DeployAsync();
        Clock.Advance(TimeSpan.FromSeconds(30));

        await Store.SetActiveRevisionAsync(appStage.Id, revision1.Id, CancellationToken.None);

        var rolledBack = (await Store.GetAppStageAsync(appStage.Id, CancellationToken.None))!;
        Assert.Equal(revision1.Id, rolledBack.ActiveRevisionId);
        Assert.Equal(T0.AddSeconds(30), rolledBack.UpdatedAt);
    }

    [Fact]
    public async Task Activating_a_revision_of_another_app_stage_or_of_a_missing_one_fails()
    {
        var (dev, _) = await DeployAsync(stage: "dev");
        var (_, prodRevision) = await DeployAsync(stage: "prod");

        var foreign = await Assert.ThrowsAsync<KeyNotFoundException>(
            () => Store.SetActiveRevisionAsync(dev.Id, prodRevision.Id, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(
            () => Store.SetActiveRevisionAsync(999, prodRevision.Id, CancellationToken.None));

        Assert.Contains($"Revision {prodRevision.Id}", foreign.Message);
        Assert.Contains("App stage 999", missing.Message);
        Assert.Equal(dev.ActiveRevisionId, (await Store.GetAppStageAsync(dev.Id, CancellationToken.None))!.ActiveRevisionId);
    }

    [Fact]
    public async Task Deleting_an_app_stage_removes_its_revisions_logs_and_invocations_only()
    {
        var (doomed, doomedRevision) = await DeployAsync(stage: "dev", artifact: "doomed");
        var (kept, keptRevision) = await DeployAsync(stage: "prod", artifact: "kept");
        await Store.AppendLogsAsync([Log(doomed.Id, doomedRevision.Id, "bye"), Log(kept.Id, keptRevision.Id, "stay")], CancellationToken.None);
        await Store.RecordInvocationsAsync([Invocation(doomed.Id, doomedRevision.Id, "r1", 0), Invocation(kept.Id, keptRevision.Id, "r2", 0)], CancellationToken.None);

        Assert.True(await Store.DeleteAppStageAsync(doomed.Id, CancellationToken.None));

        Assert.Null(await Store.GetAppStageAsync(doomed.Id, CancellationToken.None));
        Assert.Null(await Store.GetRevisionAsync(doomedRevision.Id, CancellationToken.None));
        Assert.Empty(await Store.QueryLogsAsync(new LogQuery(doomed.Id), CancellationToken.None));
        Assert.Empty(await Store.QueryInvocationsAsync(doomed.Id, null, DateTimeOffset.MinValue, 100, CancellationToken.None));
        Assert.Single(await Store.QueryLogsAsync(new LogQuery(kept.Id), CancellationToken.None));
        Assert.Single(await Store.QueryInvocationsAsync(kept.Id, null, DateTimeOffset.MinValue, 100, CancellationToken.None));
        Assert.Equal(["kept"], await Store.ListReferencedArtifactsAsync(CancellationToken.None));
        Assert.False(await Store.DeleteAppStageAsync(doomed.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Referenced_artifacts_are_the_distinct_hashes_of_all_revisions()
    {
        await DeployAsync(stage: "dev", artifact: "shared");
        await DeployAsync(stage: "dev", artifact: "only-dev");
        await DeployAsync(stage: "prod", artifact: "shared");

        var referenced = await Store.ListReferencedArtifactsAsync(CancellationToken.None);

        Assert.Equal(2, referenced.Count);
        Assert.True(referenced.SetEquals(["shared", "only-dev"]));
    }
}

public sealed class SqliteAppStageAndRevisionTests : AppStageAndRevisionTests<SqliteBackend>;

public sealed class PostgresAppStageAndRevisionTests : AppStageAndRevisionTests<PostgresBackend>;
