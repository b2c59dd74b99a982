using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Ferry.Server.Hub;
using Ferry.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// <c>ferry hub add</c> is not a port scanner: consumers cannot point a hub at the server's own machine or network,
/// and what they are told does not depend on whether something listens there.
/// </summary>
public sealed class HubAddressTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;
    private HttpClient _consumer = null!;

    public async Task InitializeAsync()
    {
        _server = await FerryTestServer.StartAsync();
        await _server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest("globex"), ApiJson.Options);
        var created = await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest("globex", "globex-consumer", ["consumer"]), ApiJson.Options);
        created.EnsureSuccessStatusCode();
        var token = (await created.Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options))!.Token;
        _consumer = new HttpClient { BaseAddress = new Uri(_server.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        _consumer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task DisposeAsync()
    {
        _consumer.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_consumer_cannot_add_a_hub_on_a_loopback_link_local_or_private_address()
    {
        string[] refused =
        [
            "http://127.0.0.1:5432", // PostgreSQL listens here
            "http://127.0.0.1:1",    // nothing listens here
            "http://localhost:5432", "http://169.254.169.254", "http://10.1.2.3", "http://172.16.0.1", "http://192.168.1.1",
            "http://[::1]:5432", "http://[fe80::1]", "http://[fd00::1]", "http://0.0.0.0:5432", "http://224.0.0.1",
            "http://[::ffff:127.0.0.1]:5432",
        ];

        var answers = new HashSet<string>();
        foreach (var url in refused)
        {
            var response = await _consumer.PostAsJsonAsync("/api/v1/hubs", new AddHubRequest("probe", url, "fry_" + new string('a', 40)), ApiJson.Options);
            Assert.True(HttpStatusCode.Forbidden == response.StatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        var answer = Assert.Single(answers); // one fixed answer, whatever the address and whether anything listens
        Assert.Contains("hub_address_refused", answer);
        Assert.Empty(await _server.Services.GetRequiredService<IHubStore>().ListHubsAsync("globex", CancellationToken.None));
    }

    [Fact]
    public async Task A_hub_whose_name_now_resolves_to_a_private_address_is_refused_at_connect_time_with_one_answer()
    {
        // What DNS rebinding leaves: a hub the consumer added under a public name, resolving to loopback when used.
        var hubs = _server.Services.GetRequiredService<IHubStore>();
        var protector = _server.Services.GetRequiredService<HubTokenProtector>();
        var token = protector.Protect("fry_" + new string('a', 40));
        await hubs.SaveHubAsync("globex", "listening", "http://localhost:5432", token, CancellationToken.None);
        await hubs.SaveHubAsync("globex", "silent", "http://localhost:1", token, CancellationToken.None);
        await hubs.SaveHubAsync("globex", "metadata", "http://169.254.169.254", token, CancellationToken.None);

        var answers = new List<(HttpStatusCode Status, string Code, string Message)>();
        foreach (var hub in new[] { "listening", "silent", "metadata" })
        {
            var response = await _consumer.PostAsJsonAsync("/api/v1/installs",
                new InstallRequest("anything", null, hub, null, "prod", null, null), ApiJson.Options);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            answers.Add((response.StatusCode, error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!.Replace($"'{hub}'", "'HUB'")));
        }

        var answer = Assert.Single(answers.Distinct());
        Assert.Equal((HttpStatusCode.Forbidden, "hub_address_refused"), (answer.Status, answer.Code));
        Assert.Equal($"The hub 'HUB' cannot be used: {HubAddressRules.RefusedMessage}", answer.Message);
    }

    [Fact]
    public async Task An_admin_may_add_a_hub_on_a_private_address()
    {
        var response = await _server.Http.PostAsJsonAsync("/api/v1/hubs",
            new AddHubRequest("internal", "http://10.20.30.40:8080", "fry_" + new string('a', 40)), ApiJson.Options);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var hub = Assert.Single(await _server.Services.GetRequiredService<IHubStore>().ListHubsAsync("default", CancellationToken.None));
        Assert.True(hub.PrivateAddressesAllowed);
    }
}

/// <summary>The address rules themselves.</summary>
public sealed class HubAddressRulesTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    [InlineData("fc00::1")]
    [InlineData("fdff::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    public void Refused(string address) => Assert.False(HubAddressRules.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    public void Allowed(string address) => Assert.True(HubAddressRules.IsPublic(IPAddress.Parse(address)));
}
