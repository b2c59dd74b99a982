using Ferry.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>
/// A real Ferry server (REST API, gateway, Runtime API, bubblewrap sandbox, SQLite) on a free loopback port, with its
/// own data folder. Stopping and starting again on the same folder is how restart behaviour is tested.
/// </summary>
public sealed class FerryTestServer : IAsyncDisposable
{
    private FerryServerApp? _app;

    private FerryTestServer(string dataDirectory, Func<FerryServerOptions, FerryServerOptions>? configure)
    {
        DataDirectory = dataDirectory;
        Configure = configure;
    }

    public string DataDirectory { get; }

    public string BaseUrl { get; private set; } = "";

    /// <summary>The bootstrap admin token the server wrote to its data folder on first start.</summary>
    public string AdminToken { get; private set; } = "";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> AdminTokens = new();

    /// <summary>The admin token of the test server at <paramref name="baseUrl"/> (what the CLI helper sends by default).</summary>
    internal static string? AdminTokenFor(string baseUrl) => AdminTokens.TryGetValue(baseUrl, out var token) ? token : null;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    private Func<FerryServerOptions, FerryServerOptions>? Configure { get; }

    internal IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("not started");

    public static async Task<FerryTestServer> StartAsync(Func<FerryServerOptions, FerryServerOptions>? configure = null, string? dataDirectory = null)
    {
        var server = new FerryTestServer(dataDirectory ?? TempDirectory.Create("ferry-data"), configure);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        // A restart comes back on the same port, as a real server would, so clients keep their URLs.
        var url = BaseUrl.Length > 0 ? BaseUrl : "http://127.0.0.1:0";
        var options = new FerryServerOptions { DataDirectory = DataDirectory, Urls = [url] };
        options = Configure?.Invoke(options) ?? options;
        _app = await FerryServerHost.BuildAsync(options, CancellationToken.None)
               ?? throw new InvalidOperationException("The server refused to start (is bubblewrap installed? run scripts/setup.sh)");
        await _app.StartAsync(CancellationToken.None);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/');
        Http.BaseAddress ??= new Uri(BaseUrl);
        AdminToken = (await File.ReadAllTextAsync(Path.Combine(DataDirectory, "admin-token"))).Trim();
        AdminTokens[BaseUrl] = AdminToken;
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
    }
}
