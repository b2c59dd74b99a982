using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Ferry.Server.Deployments;
using Ferry.Triggers.Schedules;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>Apps written in the Serverless Components format deploy with the same CLI commands as serverless.yml apps.</summary>
public sealed class ComponentAppTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Multi_scf_sample_deploys_and_its_api_and_timer_triggers_call_their_functions()
    {
        var result = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-multi-scf"), "deploy", "--output", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var deployed = JsonSerializer.Deserialize<DeploymentResult>(result.Stdout, ApiJson.Options)!;

        Assert.Equal(("orders", "dev"), (deployed.Service, deployed.Stage));
        var index = Assert.Single(deployed.Routes, r => r.Function == "index").Url;
        Assert.Equal($"{_server.BaseUrl}/orders/dev@ap-guangzhou/", index);
        var body = await _server.Http.GetFromJsonAsync<JsonElement>(index);
        Assert.Equal("shop-dev", body.GetProperty("shop").GetString());

        var order = await _server.Http.GetFromJsonAsync<JsonElement>(index + "orders/17");
        Assert.Equal("17", order.GetProperty("id").GetString());

        // The timer fires daily at 03:00 UTC; the scheduler is ticked a day ahead instead of waiting.
        var scheduler = _server.Services.GetRequiredService<FunctionScheduler>();
        var now = DateTimeOffset.UtcNow;
        await scheduler.TickAsync(now, CancellationToken.None);
        Assert.Equal(1, await scheduler.TickAsync(now.AddDays(1), CancellationToken.None));
        var logs = await FunctionLogs.WaitForAsync(_server, "orders", "report", lines => lines.Any(l => l.StartsWith("report ", StringComparison.Ordinal)), region: "ap-guangzhou");
        var report = JsonDocument.Parse(logs.First(l => l.StartsWith("report ", StringComparison.Ordinal))["report ".Length..]).RootElement;
        Assert.Equal("nightly-report", report.GetProperty("Message").GetString());

        var info = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-multi-scf"), "info");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("report", info.Stdout, StringComparison.Ordinal);

        var removed = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-multi-scf"), "remove", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
    }

    [Fact]
    public async Task Deploying_an_apps_root_deploys_its_components_in_order_with_each_others_outputs()
    {
        var result = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-app"), "deploy", "--output", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var deployed = JsonSerializer.Deserialize<DeploymentResult[]>(result.Stdout, ApiJson.Options)!;

        // The storefront reads the catalog's and the database's outputs, so it is deployed after both.
        Assert.Equal(["catalog", "shop-db", "storefront"], deployed.Select(d => d.Service));
        Assert.Contains("inputs.zone is ignored", result.Stderr, StringComparison.Ordinal);
        var storefrontUrl = $"{_server.BaseUrl}/storefront/dev";
        var storefront = await _server.Http.GetFromJsonAsync<JsonElement>(storefrontUrl + "/");
        var catalogUrl = storefront.GetProperty("catalog").GetString()!;
        Assert.Equal($"{_server.BaseUrl}/catalog/dev/products", catalogUrl);
        var products = await _server.Http.GetFromJsonAsync<JsonElement>(catalogUrl);
        Assert.Equal("teapot", products[1].GetProperty("name").GetString());

        // Orders land in the database component's own SQLite file; the storefront has no database of its own.
        await OrderAsync(storefrontUrl, "teapot");
        await OrderAsync(storefrontUrl, "kettle");
        Assert.Equal(["teapot", "kettle"], await OrdersInAsync("dev"));
        Assert.False(Directory.Exists(Path.Combine(_server.DataDirectory, "databases", "default", "storefront")));

        // The connection URL is read per instance: the stored settings and what info shows hold a reference only.
        var live = _server.Services.GetRequiredService<LiveApps>().Get("storefront", "dev", "local")!;
        Assert.Contains("${ferry:env:FERRY_DATABASE_SHOP_DB_URL}", live.Revision.ManifestJson, StringComparison.Ordinal);
        Assert.DoesNotContain("sqlite:", live.Revision.ManifestJson, StringComparison.Ordinal);
        var appInfo = await (await _server.Http.GetAsync("/api/v1/apps/storefront/dev")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("sqlite:", appInfo, StringComparison.Ordinal);

        // Another stage reads the outputs of that stage's catalog, and gets a database of its own.
        var prod = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-app"), "deploy", "--stage", "prod", "--output", "json");
        Assert.True(prod.ExitCode == 0, prod.ToString());
        var prodBody = await _server.Http.GetFromJsonAsync<JsonElement>($"{_server.BaseUrl}/storefront/prod/");
        Assert.Equal($"{_server.BaseUrl}/catalog/prod/products", prodBody.GetProperty("catalog").GetString());
        await OrderAsync($"{_server.BaseUrl}/storefront/prod", "cup");
        Assert.Equal(["cup"], await OrdersInAsync("prod"));
        Assert.Equal(["teapot", "kettle"], await OrdersInAsync("dev"));

        // info and remove in the app's root act on every component.
        var info = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-app"), "info");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Matches(@"\$\{output:dev:shop:catalog\.url\}\s+" + System.Text.RegularExpressions.Regex.Escape($"{_server.BaseUrl}/catalog/dev"), info.Stdout);
        Assert.Matches(@"\$\{output:dev:shop:shop-db\.connectionString\}\s+ferry-database://shop-db/dev@local/shop-db", info.Stdout);
        Assert.DoesNotContain("sqlite:", info.Stdout, StringComparison.Ordinal);
        Assert.Contains("Component storefront", info.Stdout, StringComparison.Ordinal);
        var removed = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("components-app"), "remove", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains("Removed storefront", removed.Stdout, StringComparison.Ordinal);
        Assert.Contains("Removed shop-db", removed.Stdout, StringComparison.Ordinal);
        Assert.Contains("Removed catalog", removed.Stdout, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _server.Http.GetAsync(catalogUrl)).StatusCode);
        Assert.Equal(["teapot", "kettle"], await OrdersInAsync("dev"));
    }

    private async Task OrderAsync(string storefrontUrl, string product)
    {
        var response = await _server.Http.PostAsJsonAsync(storefrontUrl + "/orders", new { product });
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The products ordered in a stage, read from shop-db's SQLite file on the host.</summary>
    private async Task<List<string>> OrdersInAsync(string stage)
    {
        var file = Path.Combine(_server.DataDirectory, "databases", "default", "shop-db", $"{stage}@local", "shop-db.sqlite");
        Assert.True(File.Exists(file), file);
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "select product from orders order by id";
        var products = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            products.Add(reader.GetString(0));
        }

        return products;
    }

    [Fact]
    public async Task A_component_deployed_alone_names_the_output_it_cannot_read()
    {
        var result = await FerryCli.RunAsync(_server.BaseUrl, Path.Combine(Repo.Sample("components-app"), "storefront"), "deploy");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("serverless.yml:12", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("the component 'catalog' of stage 'dev' has no output 'url'", result.Stderr, StringComparison.Ordinal);
    }
}
