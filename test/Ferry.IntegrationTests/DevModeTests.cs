using System.Diagnostics;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// The inner development loop: <c>ferry invoke local</c> (no server: the real CLI runs Ferry's runtime loops on this
/// machine) and <c>ferry dev</c> (deploy, redeploy on save, merged logs) against a real server.
/// </summary>
public sealed class DevModeTests
{
    /// <summary><c>invoke local</c> needs no server; this URL is never contacted.</summary>
    private const string NoServer = "http://127.0.0.1:9";

    private const string LocalManifest = """
        service: local-app
        provider:
          name: aws
          runtime: nodejs20.x
          environment:
            GREETING: Hi
        functions:
          greet:
            handler: handler.greet
          fail:
            handler: handler.fail
          slow:
            handler: handler.slow
            timeout: 1
          users:
            handler: users.get_user
            runtime: python3.11
          pyfail:
            handler: users.fail
            runtime: python3.11
        """;

    private const string NodeHandler = """
        exports.greet = async (event, context) => {
          console.log(`greeting ${event.name} as ${context.functionName}`);
          console.error('a warning on stderr');
          return { message: `${process.env.GREETING}, ${event.name}!` };
        };
        exports.fail = async () => { throw new RangeError('the order is too large'); };
        exports.slow = async () => { console.log('starting a long job'); await new Promise((r) => setTimeout(r, 30000)); return 'done'; };
        """;

    private const string PythonHandler = """
        import os

        def get_user(event, context):
            print(f"looking up user {event['id']} in {context.function_name}")
            return {"id": event["id"], "greeting": os.environ["GREETING"]}

        def fail(event, context):
            raise KeyError("no such user")
        """;

    private static string LocalApp() => TestApp.Create(LocalManifest, ("handler.js", NodeHandler), ("users.py", PythonHandler));

    private static Task<CliResult> InvokeLocalAsync(string app, params string[] args)
        => FerryCli.RunAsAsync(null, NoServer, app, ["invoke", "local", .. args]);

    [Fact]
    public async Task Invoke_local_runs_a_node_function_with_the_result_on_stdout_and_its_output_on_stderr()
    {
        var result = await InvokeLocalAsync(LocalApp(), "-f", "greet", "--data", """{"name":"Ada"}""");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"message\": \"Hi, Ada!\"", result.Stdout);
        Assert.DoesNotContain("greeting", result.Stdout);
        Assert.Contains("greet | greeting Ada as local-app-dev-greet", result.Stderr);
        Assert.Contains("greet | a warning on stderr", result.Stderr);
    }

    [Fact]
    public async Task Invoke_local_runs_a_python_function_with_an_event_file()
    {
        var app = LocalApp();
        await File.WriteAllTextAsync(Path.Combine(app, "event.json"), """{"id":"42"}""");

        var result = await InvokeLocalAsync(app, "-f", "users", "--path", "event.json", "--output", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("""{"id": "42", "greeting": "Hi"}""", result.Stdout.Trim());
        Assert.Contains("users | looking up user 42 in local-app-dev-users", result.Stderr);
    }

    [Fact]
    public async Task Invoke_local_exits_1_with_the_handlers_error()
    {
        var node = await InvokeLocalAsync(LocalApp(), "-f", "fail");
        var python = await InvokeLocalAsync(LocalApp(), "-f", "pyfail");

        Assert.True(node.ExitCode == 1, node.ToString());
        Assert.Contains("function fail failed (RangeError", node.Stderr);
        Assert.Contains("RangeError: the order is too large", node.Stderr);
        Assert.Equal("", node.Stdout);
        Assert.True(python.ExitCode == 1, python.ToString());
        Assert.Contains("KeyError: 'no such user'", python.Stderr);
    }

    [Fact]
    public async Task Invoke_local_kills_a_function_at_its_timeout()
    {
        var result = await InvokeLocalAsync(LocalApp(), "-f", "slow");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("slow | starting a long job", result.Stderr);
        Assert.Contains("Task timed out after 1.00 seconds", result.Stderr);
        Assert.Contains("killed at its timeout of 1 s", result.Stderr);
    }

    [Fact]
    public async Task Invoke_local_takes_the_stage_and_params_from_the_command_line()
    {
        var app = TestApp.Create("""
            service: staged
            provider:
              name: aws
              runtime: nodejs20.x
              environment:
                WHERE: ${sls:stage}-${param:colour}
            params:
              default:
                colour: blue
            functions:
              where:
                handler: handler.where
            """, ("handler.js", "exports.where = async () => process.env.WHERE;"));

        var result = await InvokeLocalAsync(app, "-f", "where", "--stage", "qa", "--param", "colour=green");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("\"qa-green\"", result.Stdout.Trim());
    }

    [Fact]
    public async Task Dev_mode_redeploys_on_save_and_streams_every_functions_logs_with_its_name()
    {
        await using var server = await FerryTestServer.StartAsync();
        var app = TestApp.Create("""
            service: devmode
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              api:
                handler: handler.api
                events:
                  - httpApi: 'GET /version'
              users:
                handler: users.get_user
                runtime: python3.11
                events:
                  - httpApi: 'GET /users/{id}'
            """,
            ("handler.js", Handler("v1")),
            ("users.py", "def get_user(event, context):\n    print('users was called')\n    return {'statusCode': 200, 'body': 'user'}\n"));

        using var dev = new RunningCli(FerryCli.Start(server.BaseUrl, app, "dev"));
        try
        {
            await dev.WaitForLineAsync(line => line.StartsWith("Deployed devmode", StringComparison.Ordinal));
            Assert.Equal("v1", await server.Http.GetStringAsync("/devmode/dev/version"));

            await File.WriteAllTextAsync(Path.Combine(app, "handler.js"), Handler("v2"));
            var body = "";
            for (var attempt = 0; attempt < 100 && body != "v2"; attempt++)
            {
                await Task.Delay(200);
                body = await server.Http.GetStringAsync("/devmode/dev/version");
            }

            Assert.True(body == "v2", "the route still served the old handler; dev output:\n" + dev.Output);
            await dev.WaitForLineAsync(line => line.StartsWith("Redeployed in ", StringComparison.Ordinal));

            // Both functions' lines arrive in the one stream, each under its own name.
            for (var attempt = 0; attempt < 50 && !dev.Saw(line => line.StartsWith("users | users was called", StringComparison.Ordinal)); attempt++)
            {
                await server.Http.GetStringAsync("/devmode/dev/users/1");
                await server.Http.GetStringAsync("/devmode/dev/version");
                await Task.Delay(200);
            }

            await dev.WaitForLineAsync(line => line.StartsWith("api   | serving v2", StringComparison.Ordinal));
            await dev.WaitForLineAsync(line => line.StartsWith("users | users was called", StringComparison.Ordinal));

            // A broken manifest is reported with its location, and the watch goes on.
            var manifest = Path.Combine(app, "serverless.yml");
            var good = await File.ReadAllTextAsync(manifest);
            await File.WriteAllTextAsync(manifest, "service: devmode\nfunctions: [oops\n");
            await dev.WaitForLineAsync(line => line.Contains("serverless.yml:", StringComparison.Ordinal) && line.Contains("error:", StringComparison.Ordinal));
            await File.WriteAllTextAsync(manifest, good);
            await dev.WaitForLineAsync(line => line.Contains("No changes", StringComparison.Ordinal) || line.StartsWith("Redeployed", StringComparison.Ordinal));
            Assert.False(dev.HasExited, "dev mode stopped after a deploy error; output:\n" + dev.Output);
        }
        finally
        {
            dev.Kill();
        }
    }

    private static string Handler(string version) => $$"""
        exports.api = async () => {
          console.log('serving {{version}}');
          return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '{{version}}' };
        };
        """;

    /// <summary>A long-running CLI process whose stdout and stderr lines are collected as they come.</summary>
    private sealed class RunningCli : IDisposable
    {
        private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(60);
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly SemaphoreSlim _newLine = new(0);

        public RunningCli(Process process)
        {
            _process = process;
            _ = CollectAsync(process.StandardOutput);
            _ = CollectAsync(process.StandardError);
        }

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_lines)
                {
                    return string.Join('\n', _lines);
                }
            }
        }

        public bool Saw(Func<string, bool> predicate)
        {
            lock (_lines)
            {
                return _lines.Any(predicate);
            }
        }

        public async Task WaitForLineAsync(Func<string, bool> predicate)
        {
            using var timeout = new CancellationTokenSource(LineTimeout);
            while (!Saw(predicate))
            {
                if (_process.HasExited)
                {
                    await Task.Delay(200); // let the last lines arrive
                    Assert.True(Saw(predicate), $"ferry dev exited with {_process.ExitCode} before the expected line; output:\n{Output}");
                    return;
                }

                try
                {
                    await _newLine.WaitAsync(TimeSpan.FromMilliseconds(500), timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail("the expected line did not appear; output:\n" + Output);
                }
            }
        }

        private async Task CollectAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }

                _newLine.Release();
            }
        }

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
            _newLine.Dispose();
        }
    }
}
