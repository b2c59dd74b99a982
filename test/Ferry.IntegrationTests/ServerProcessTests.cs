using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// Issue 12, inline I/O: <c>ferry server</c> in a process of its own, as users run it. Only there are socket
/// completions inline (the runtime reads that setting when a process makes its first socket, which the in-process test
/// servers come after): function requests run on the socket threads, the control plane on the thread pool. An event
/// function under load is redeployed while the API and a web function are called; nothing may fail, and the server
/// must still stop cleanly on SIGTERM (it unmounts its data folders on the way out).
/// </summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task A_server_process_serves_functions_and_the_api_during_a_redeploy_and_stops_on_sigterm()
    {
        var data = TempDirectory.Create("ferry-proc");
        var url = $"http://127.0.0.1:{FreePort()}";
        using var server = Start(url, data);
        var stderr = server.StandardError.ReadToEndAsync();
        var stdout = server.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
            await WaitForHealthAsync(http, server, stderr);
            var token = (await File.ReadAllTextAsync(Path.Combine(data, "admin-token"))).Trim();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var first = await FerryCli.RunAsAsync(token, url, VersionLoad.App("inline", 0, 0.01), "deploy");
            Assert.True(first.ExitCode == 0, first.ToString());
            var web = await FerryCli.RunAsAsync(token, url, AppCopy.Of(Repo.Sample("web-node")), "deploy");
            Assert.True(web.ExitCode == 0, web.ToString());

            await using var load = VersionLoad.Start(http, "/inline/dev/version", clients: 4);
            await load.WaitUntilAsync("answers of version 0", a => a.Count >= 20);
            var redeploy = FerryCli.RunAsAsync(token, url, VersionLoad.App("inline", 1, 0.01), "deploy");
            var others = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => http.GetAsync(i % 2 == 0 ? "/api/v1/apps" : "/webnode/dev/")));
            var deployed = await redeploy;
            Assert.True(deployed.ExitCode == 0, deployed.ToString());
            await load.WaitUntilAsync("answers of version 1", a => a.Count(x => x.Version == 1) >= 20);
            await load.StopAsync();

            Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed requests, e.g. {string.Join(" | ", load.Failures.Take(3))}");
            Assert.All(others, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        }
        finally
        {
            await StopAsync(server);
        }

        Assert.True(server.ExitCode == 0, $"exit {server.ExitCode}; stderr:\n{await stderr}\nstdout:\n{await stdout}");
    }

    private static Process Start(string url, string data)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { FerryCli.CliDll, "server", "--urls", url, "--data", data })
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start ferry server");
    }

    private static async Task WaitForHealthAsync(HttpClient http, Process server, Task<string> stderr)
    {
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(1); waited += TimeSpan.FromMilliseconds(100))
        {
            Assert.False(server.HasExited, $"ferry server exited with {(server.HasExited ? server.ExitCode : 0)}: {(server.HasExited ? await stderr : "")}");
            try
            {
                using var response = await http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        Assert.Fail("ferry server did not answer /healthz within a minute");
    }

    /// <summary>SIGTERM, as a service manager stops it; SIGKILL only if it has not exited within a minute.</summary>
    private static async Task StopAsync(Process server)
    {
        if (server.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await server.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(CancellationToken.None);
            Assert.Fail("ferry server did not stop within a minute of SIGTERM");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
