using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// Custom domains: an app with a web function that owns <c>/</c> and event functions (HTTP API and REST) is served by
/// Host header at its own paths, through serverless.yml's <c>custom.customDomain</c> and <c>ferry domain add</c>, beside
/// its <c>/{service}/{stage}</c> URL; hosts belong to one tenant; HTTPS picks certificates by SNI and reloads them.
/// </summary>
public sealed class CustomDomainTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";

    private const string Yml = $$"""
        service: shop
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          site:
            runtime: web
            command: node server.js
            events:
              - httpApi: '*'
          items:
            handler: handler.items
            events:
              - httpApi: GET /api/items/{id}
          legacy:
            handler: handler.legacy
            events:
              - http: GET legacy
        custom:
          customDomain:
            domainName: {{Host}}
            basePath: ''
        """;

    private const string ServerJs = """
        'use strict';
        require('node:http').createServer((req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ fn: 'site', url: req.url, prefix: req.headers['x-forwarded-prefix'] ?? null, forwardedHost: req.headers['x-forwarded-host'] }));
        }).listen(Number(process.env.PORT), '127.0.0.1');
        """;

    private const string HandlerJs = """
        exports.items = async (event) => ({ statusCode: 200, body: JSON.stringify({
          fn: 'items', rawPath: event.rawPath, path: event.requestContext.http.path,
          domainName: event.requestContext.domainName, id: event.pathParameters.id }) });
        exports.legacy = async (event) => ({ statusCode: 200, body: JSON.stringify({
          fn: 'legacy', path: event.path, contextPath: event.requestContext.path, domainName: event.requestContext.domainName }) });
        exports.page = async (event) => ({ statusCode: 200, body: JSON.stringify({ fn: 'page', rawPath: event.rawPath }) });
        """;

    private FerryTestServer _server = null!;
    private string _app = null!;

    public async Task InitializeAsync()
    {
        _server = await FerryTestServer.StartAsync();
        _app = TestApp.Create(Yml, ("server.js", ServerJs), ("handler.js", HandlerJs));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_bound_host_serves_web_and_event_functions_at_their_own_paths_and_the_prefix_url_keeps_working()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var port = new Uri(_server.BaseUrl).Port;
        Assert.Contains($"http://{Host}:{port}/", deploy.Stdout);

        // The web function owns /: it sees the path as requested, with no prefix header.
        var root = await GetAsync(Host, "/");
        Assert.Equal("site", (string?)root["fn"]);
        Assert.Equal("/", (string?)root["url"]);
        Assert.Null(root["prefix"]);
        Assert.Equal("/about?lang=en", (string?)(await GetAsync(Host, "/about?lang=en"))["url"]);

        // Event functions get the real path and the host as requestContext.domainName; /api is the app's, not Ferry's API.
        var item = await GetAsync(Host, "/api/items/7");
        Assert.Equal(("items", "/api/items/7", "/api/items/7", Host, "7"),
            ((string?)item["fn"], (string?)item["rawPath"], (string?)item["path"], (string?)item["domainName"], (string?)item["id"]));
        var legacy = await GetAsync(Host, "/legacy");
        Assert.Equal(("/legacy", "/legacy", Host), ((string?)legacy["path"], (string?)legacy["contextPath"], (string?)legacy["domainName"]));

        // The /{service}/{stage} URL is unchanged.
        var prefixed = await GetAsync(null, "/shop/dev/about");
        Assert.Equal(("/about", "/shop/dev"), ((string?)prefixed["url"], (string?)prefixed["prefix"]));
        var prefixedItem = await GetAsync(null, "/shop/dev/api/items/8");
        Assert.Equal(("/api/items/8", $"127.0.0.1:{port}"), ((string?)prefixedItem["rawPath"], (string?)prefixedItem["domainName"]));
        Assert.Equal("/shop/dev/legacy", (string?)(await GetAsync(null, "/shop/dev/legacy"))["contextPath"]);

        // A second host, mounted at /v1 by the CLI.
        var add = await FerryCli.RunAsync(_server.BaseUrl, _app, "domain", "add", "API.example.test", "--app", "shop", "--stage", "dev", "--path-prefix", "/v1");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains($"http://api.example.test:{port}/v1/ now serves", add.Stdout);
        var versioned = await GetAsync("api.example.test", "/v1/api/items/3");
        Assert.Equal(("/api/items/3", "3"), ((string?)versioned["rawPath"], (string?)versioned["id"]));
        var versionedSite = await GetAsync("api.example.test", "/v1/docs");
        Assert.Equal(("/docs", "/v1"), ((string?)versionedSite["url"], (string?)versionedSite["prefix"]));
        using (var outside = await SendAsync("api.example.test", "/v2/docs"))
        {
            Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        }

        var list = await FerryCli.RunAsync(_server.BaseUrl, _app, "domain", "list", "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var domains = JsonSerializer.Deserialize<List<DomainInfo>>(list.Stdout, ApiJson.Options)!;
        Assert.Equal([("api.example.test", "/v1", "cli"), (Host, "/", "manifest")], domains.Select(d => (d.Host, d.BasePath, d.Source)));

        // Bindings are in the store: a restarted server serves them again.
        await _server.StopAsync();
        await _server.StartAsync();
        Assert.Equal("/after-restart", (string?)(await GetAsync(Host, "/after-restart"))["url"]);

        var remove = await FerryCli.RunAsync(_server.BaseUrl, _app, "domain", "remove", "api.example.test");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        using (var unbound = await SendAsync("api.example.test", "/docs"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unbound.StatusCode);
            Assert.Contains("URLs of apps look like", await unbound.Content.ReadAsStringAsync());
        }

        // serverless.yml's domains go with the app.
        var removed = await FerryCli.RunAsync(_server.BaseUrl, _app, "remove", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Empty(await _server.Http.GetFromJsonAsync<List<DomainInfo>>("/api/v1/domains", ApiJson.Options) ?? []);
        using var gone = await SendAsync(Host, "/");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_host_belongs_to_one_tenant_and_a_tenant_binds_only_its_own_apps()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var globex = await CreateTokenAsync("globex");

        // Another tenant's app is "not found" to it, so it cannot route a host there.
        var steal = await FerryCli.RunAsAsync(globex, _server.BaseUrl, _app, "domain", "add", "evil.example.test", "--app", "shop", "--stage", "dev");
        Assert.Equal(1, steal.ExitCode);
        Assert.Contains("No app 'shop' is deployed to stage 'dev'", steal.Stderr);

        // Its own app cannot take the host (or a wildcard over it) either: in serverless.yml, at the key's line…
        var blog = TestApp.Create($"""
            service: blog
            provider:
              runtime: nodejs20.x
            functions:
              page:
                handler: handler.page
                events:
                  - httpApi: '*'
            custom:
              customDomains:
                - http:
                    domainName: {Host}
            """, ("handler.js", HandlerJs));
        var refused = await FerryCli.RunAsAsync(globex, _server.BaseUrl, blog, "deploy");
        Assert.Equal(1, refused.ExitCode);
        Assert.True(refused.Stderr.Contains(
            $"serverless.yml:12:21: custom.customDomains[0].http.domainName: The host '{Host}' is already bound by another tenant", StringComparison.Ordinal),
            refused.ToString());
        using (var asGlobex = ClientWith(globex))
        {
            Assert.Empty(await asGlobex.GetFromJsonAsync<List<AppSummary>>("/api/v1/apps", ApiJson.Options) ?? []);
        }

        // …or with the CLI, once the app is deployed without it.
        File.WriteAllText(Path.Combine(blog, "serverless.yml"), File.ReadAllText(Path.Combine(blog, "serverless.yml")).Replace(Host, "blog.example.test"));
        var deployed = await FerryCli.RunAsAsync(globex, _server.BaseUrl, blog, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        var taken = await FerryCli.RunAsAsync(globex, _server.BaseUrl, blog, "domain", "add", Host);
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains($"The host '{Host}' is already bound by another tenant", taken.Stderr);
        var wildcard = await FerryCli.RunAsAsync(globex, _server.BaseUrl, blog, "domain", "add", "*.example.test");
        Assert.Contains($"overlaps '{Host}'", wildcard.Stderr);
        using (var asGlobex = ClientWith(globex))
        {
            var conflict = await asGlobex.PostAsJsonAsync("/api/v1/domains", new BindDomainRequest(Host, "blog", "dev"), ApiJson.Options);
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            var invalid = await asGlobex.PostAsJsonAsync("/api/v1/domains", new BindDomainRequest("127.0.0.1", "blog", "dev"), ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var ownServer = await asGlobex.PostAsJsonAsync("/api/v1/domains", new BindDomainRequest("ferry.example.test", "blog", "dev"),
                ApiJson.Options);
            Assert.Equal(HttpStatusCode.Created, ownServer.StatusCode);
            // Removing a host it does not hold is "not found", and leaves the holder's binding alone.
            Assert.Equal(HttpStatusCode.NotFound, (await asGlobex.DeleteAsync($"/api/v1/domains/{Host}")).StatusCode);
        }

        // Each host reaches its own tenant's app.
        Assert.Equal("site", (string?)(await GetAsync(Host, "/"))["fn"]);
        var blogPage = await GetAsync("blog.example.test", "/anything");
        Assert.Equal(("page", "/anything"), ((string?)blogPage["fn"], (string?)blogPage["rawPath"]));
        Assert.Equal("page", (string?)(await GetAsync("ferry.example.test", "/x"))["fn"]);

        // The name the API is reached at can't be taken by an app.
        using var byName = new HttpClient(new SocketsHttpHandler { ConnectCallback = ConnectToServer })
        {
            BaseAddress = new Uri($"http://console.example.test:{new Uri(_server.BaseUrl).Port}"),
        };
        byName.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", globex);
        var apiHost = await byName.PostAsJsonAsync("/api/v1/domains", new BindDomainRequest("console.example.test", "blog", "dev"), ApiJson.Options);
        Assert.Equal(HttpStatusCode.Conflict, apiHost.StatusCode);
        Assert.Contains("the address of this Ferry server", await apiHost.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Https_picks_the_certificate_by_SNI_and_a_replaced_certificate_is_used_from_the_next_handshake()
    {
        var certificates = TempDirectory.Create("ferry-certs");
        var first = WriteCertificate(certificates, Host, "first");
        WriteCertificate(certificates, "other.example.test", "other");
        await _server.DisposeAsync();
        _server = await FerryTestServer.StartAsync(options => options with
        {
            Urls = ["http://127.0.0.1:0", "https://127.0.0.1:0"],
            TlsCertificateDirectory = certificates,
        });
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var addresses = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var httpsPort = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal))).Port;
        Assert.Contains($"https://{Host}:{httpsPort}/", deploy.Stdout);

        var (certificate, body) = await GetOverTlsAsync(Host, httpsPort, "/api/items/5");
        Assert.Equal(first, certificate.Thumbprint);
        Assert.Equal(("items", Host, "/api/items/5"), ((string?)body["fn"], (string?)body["domainName"], (string?)body["rawPath"]));
        // A host with a certificate but no app: its own certificate, and Ferry's 404.
        var (other, notBound) = await GetOverTlsAsync("other.example.test", httpsPort, "/");
        Assert.Contains("CN=other", other.Subject);
        Assert.Equal("not_found", (string?)notBound["code"]);

        var second = WriteCertificate(certificates, Host, "second");
        Assert.NotEqual(first, second);
        var (renewed, site) = await GetOverTlsAsync(Host, httpsPort, "/");
        Assert.Equal(second, renewed.Thumbprint);
        Assert.Equal("/", (string?)site["url"]);
    }

    /// <summary>A self-signed certificate for <paramref name="host"/> as HOST.pem + HOST.key; returns its thumbprint.</summary>
    private static string WriteCertificate(string directory, string host, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(directory, host + ".key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, host + ".pem"), certificate.ExportCertificatePem());
        return certificate.Thumbprint;
    }

    /// <summary>A request on a new connection to https://HOST:port (SNI and Host are HOST; the socket goes to the server).</summary>
    private static async Task<(X509Certificate2 Certificate, JsonNode Body)> GetOverTlsAsync(string host, int port, string path)
    {
        X509Certificate2? presented = null;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : new X509Certificate2(certificate);
                    return true; // self-signed, made by this test
                },
            },
        };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync($"https://{host}:{port}{path}");
        return (presented!, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async ValueTask<Stream> ConnectToServer(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, new Uri(_server.BaseUrl).Port, cancellationToken);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private async Task<HttpResponseMessage> SendAsync(string? host, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _server.BaseUrl + path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        return await client.SendAsync(request);
    }

    private async Task<JsonNode> GetAsync(string? host, string path)
    {
        using var response = await SendAsync(host, path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{host}{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private HttpClient ClientWith(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> CreateTokenAsync(string tenant)
    {
        var tenantResult = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "tenant", "create", tenant);
        Assert.True(tenantResult.ExitCode == 0, tenantResult.ToString());
        var created = await FerryCli.RunAsync(_server.BaseUrl, Repo.Root, "token", "create", "--tenant", tenant, "--name", "t", "--role", "consumer", "--output", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        return JsonSerializer.Deserialize<CreatedToken>(created.Stdout, ApiJson.Options)!.Token;
    }
}
