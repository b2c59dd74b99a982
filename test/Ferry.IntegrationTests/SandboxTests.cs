using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Runtime.Pooling;
using Ferry.Server.Deployments;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>What a deployed function can and cannot see, and scale to zero.</summary>
public sealed class SandboxTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    // Idle_instances_… checks that an instance runs right after its request and is gone once idle: the idle timeout
    // is the window between the two, so it is long enough that a stalled CI machine does not close it first (500 ms did).
    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync(o => o with { IdleTimeout = TimeSpan.FromSeconds(2) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_function_sees_its_code_read_only_a_private_tmp_and_nothing_of_ferry()
    {
        var app = TestApp.Create("""
            service: probe
            provider:
              name: aws
              runtime: python3.11
              memorySize: 128
            functions:
              probe:
                handler: probe.handler
                events:
                  - httpApi: 'POST /probe'
            """, ("probe.py", """
            import os

            def handler(event, context):
                import json
                paths = json.loads(event["body"])["paths"]
                def can_write(path):
                    try:
                        with open(path, "w") as f:
                            f.write("x")
                        return True
                    except OSError:
                        return False
                return {
                    "cwd": os.getcwd(),
                    "visible": {p: os.path.exists(p) for p in paths},
                    "writeCode": can_write("/var/task/new.txt"),
                    "writeTmp": can_write("/tmp/" + json.loads(event["body"])["marker"] + ".txt"),
                    "pid": os.getpid(),
                    "pids": len([d for d in os.listdir("/proc") if d.isdigit()]),
                    "hostname": os.uname().nodename,
                }
            """));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var marker = "probe-" + Guid.NewGuid().ToString("N");
        var response = await _server.Http.PostAsJsonAsync("/probe/dev/probe", new { marker, paths = new[] { _server.DataDirectory, app, "/var/task/probe.py", "/root" } });
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(response.IsSuccessStatusCode, result.ToString());
        Assert.Equal("/var/task", result.GetProperty("cwd").GetString());
        var visible = result.GetProperty("visible");
        Assert.False(visible.GetProperty(_server.DataDirectory).GetBoolean(), "Ferry's data folder must be invisible");
        Assert.False(visible.GetProperty(app).GetBoolean(), "the developer's folder must be invisible");
        Assert.False(visible.GetProperty("/root").GetBoolean());
        Assert.True(visible.GetProperty("/var/task/probe.py").GetBoolean());
        Assert.False(result.GetProperty("writeCode").GetBoolean(), "code must be read-only");
        Assert.True(result.GetProperty("writeTmp").GetBoolean(), "/tmp must be writable");
        Assert.True(result.GetProperty("pids").GetInt32() < 10, "own pid namespace: only the sandbox's processes are visible");
        Assert.False(File.Exists($"/tmp/{marker}.txt"), "the sandbox's /tmp is private, not the host's");
    }

    /// <summary>
    /// Ferry's runtime loops reach the Runtime API over the UNIX socket mounted into the sandbox, not through the
    /// forwarder behind <c>127.0.0.1:9001</c>: the sandbox's network has no TCP connection to that port, only the
    /// forwarder's listener (kept for official clients such as aws-lambda-ric).
    /// </summary>
    [Fact]
    public async Task Node_and_python_runtime_loops_reach_the_runtime_api_without_the_tcp_forwarder()
    {
        var app = TestApp.Create("""
            service: loops
            provider:
              name: aws
              memorySize: 128
            functions:
              node:
                handler: probe.handler
                runtime: nodejs20.x
                events:
                  - httpApi: 'GET /node'
              python:
                handler: probe.handler
                runtime: python3.11
                events:
                  - httpApi: 'GET /python'
            """, ("probe.js", """
            const fs = require('node:fs');
            // States of the sockets on port 9001 (2329 in hex) in this sandbox's network: 0A listens, 01 is connected.
            exports.handler = async () => ({
              port9001: ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) => fs.readFileSync(table, 'utf8').split('\n').slice(1))
                .map((line) => line.trim().split(/\s+/)).filter((f) => f.length > 3 && (f[1].endsWith(':2329') || f[2].endsWith(':2329')))
                .map((f) => f[3]),
            });
            """), ("probe.py", """
            def handler(event, context):
                states = []
                for table in ("/proc/net/tcp", "/proc/net/tcp6"):
                    with open(table) as f:
                        for line in f.readlines()[1:]:
                            fields = line.split()
                            if len(fields) > 3 and (fields[1].endswith(":2329") or fields[2].endswith(":2329")):
                                states.append(fields[3])
                return {"port9001": states}
            """));
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        foreach (var function in new[] { "node", "python" })
        {
            for (var i = 0; i < 2; i++) // the second invocation comes over the loop's kept-alive connection
            {
                var response = await _server.Http.GetAsync($"/loops/dev/{function}");
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, body);
                var states = JsonDocument.Parse(body).RootElement.GetProperty("port9001").EnumerateArray().Select(s => s.GetString()).ToList();
                Assert.True(states is ["0A"], $"{function}: sockets on port 9001 in the sandbox: {body}");
            }
        }
    }

    [Fact]
    public async Task Idle_instances_are_stopped_and_the_next_request_starts_one_again()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, Repo.Sample("hello"), "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var pool = _server.Services.GetRequiredService<LiveApps>().Get("hello", "dev", "local")!.Deployed.Pools["users"];

        (await _server.Http.GetAsync("/hello/dev/users/1")).EnsureSuccessStatusCode();
        Assert.Equal(1, pool.InstanceCount);

        for (var attempt = 0; attempt < 100 && pool.InstanceCount > 0; attempt++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, pool.InstanceCount);
        (await _server.Http.GetAsync("/hello/dev/users/2")).EnsureSuccessStatusCode();
        Assert.Equal(1, pool.InstanceCount);
    }
}
