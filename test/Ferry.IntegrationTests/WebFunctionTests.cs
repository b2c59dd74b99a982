using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>Traditional web apps deployed unchanged: Ferry starts them on $PORT and forwards requests (YARP).</summary>
public sealed class WebFunctionTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_plain_node_http_server_serves_requests_at_its_own_paths()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("web-node"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var first = await _server.Http.GetFromJsonAsync<JsonElement>("/webnode/dev/some/page?x=1");
        Assert.Equal("/some/page?x=1", first.GetProperty("url").GetString());

        var second = await _server.Http.GetFromJsonAsync<JsonElement>("/webnode/dev/");
        Assert.Equal(first.GetProperty("pid").GetInt32(), second.GetProperty("pid").GetInt32());
        Assert.Equal(2, second.GetProperty("served").GetInt32());
    }

    [Fact]
    public async Task A_flask_app_runs_unchanged()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("web-flask"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var index = await _server.Http.GetFromJsonAsync<JsonElement>("/flaskapp/dev/");
        Assert.Equal("flask", index.GetProperty("app").GetString());
        Assert.Equal("/flaskapp/dev", index.GetProperty("prefix").GetString());

        var item = await _server.Http.GetFromJsonAsync<JsonElement>("/flaskapp/dev/items/7?q=boat");
        Assert.Equal("7", item.GetProperty("id").GetString());
        Assert.Equal("boat", item.GetProperty("q").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/flaskapp/dev/missing")).StatusCode);
    }

    /// <summary>
    /// The app finds its client's socket in its network's TCP table and looks for its owner among the sandbox's
    /// processes (it can read the file descriptors of the sandbox's socat, which runs as the same user).
    /// </summary>
    private const string PeerOwnerApp =
        """
        import http.server, json, os
        def owners(inode):
            found, socat_fds_readable = [], False
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    comm = open(f"/proc/{pid}/comm").read().strip()
                    fds = os.listdir(f"/proc/{pid}/fd")
                    socat_fds_readable |= comm == "socat"
                    if any(os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]" for fd in fds):
                        found.append(comm)
                except OSError:
                    pass
            return found, socat_fds_readable
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                host, port = self.client_address
                local = "0100007F:%04X" % port
                rows = [l.split() for l in open("/proc/net/tcp").readlines()[1:]]
                inode = next(r[9] for r in rows if r[1] == local)
                found, socat_fds_readable = owners(inode)
                body = json.dumps({"host": host, "owners": found, "socatFdsReadable": socat_fds_readable}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
        """;

    [Fact]
    public async Task The_gateway_reaches_a_web_function_as_a_loopback_client_without_socat_in_between()
    {
        var app = TestApp.Create("""
            service: peerowner
            provider:
              name: ferry
            functions:
              web:
                runtime: web
                command: python3 app.py
                events:
                  - httpApi: '*'
            """, ("app.py", PeerOwnerApp));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var seen = await _server.Http.GetFromJsonAsync<JsonElement>("/peerowner/dev/");

        Assert.Equal("127.0.0.1", seen.GetProperty("host").GetString());
        Assert.True(seen.GetProperty("socatFdsReadable").GetBoolean(), seen.ToString());
        // Through socat, socat's child would own the client's socket; the gateway's own socket has no owner in the sandbox.
        Assert.Empty(seen.GetProperty("owners").EnumerateArray());
    }

    [Fact]
    public async Task A_web_function_that_never_listens_gets_502_with_the_reason()
    {
        var app = TestApp.Create("""
            service: deaf
            provider:
              name: ferry
            functions:
              web:
                runtime: web
                command: node -e "console.log('not listening'); process.exit(4)"
                events:
                  - httpApi: '*'
            """);
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var response = await _server.Http.GetAsync("/deaf/dev/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("instance_start_failed", body.GetProperty("code").GetString());
        Assert.Contains("exited with code 4", body.GetProperty("message").GetString());
    }
}
