using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Xunit.Abstractions;

namespace Ferry.IntegrationTests;

/// <summary>
/// The compatibility corpus: public Serverless Framework example apps (test/compat, copied unchanged from
/// serverless/examples) deployed on one real server and called as their READMEs describe (test/compat/expectations.json).
/// Prints <c>compat: N passed, M failed</c> and one line per app. Fails only when an app listed as expected to pass
/// fails, so the list ratchets up as features land.
/// </summary>
public sealed class CompatCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>At least this many apps pass; raise it with the expected-to-pass list.</summary>
    private const int MinimumPassing = 28;

    /// <summary>Apps deployed at the same time (npm install, esbuild and deploys overlap).</summary>
    private const int Parallelism = 4;

    private static readonly TimeSpan NpmTimeLimit = TimeSpan.FromMinutes(5);

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Public_example_apps_deploy_unchanged_and_answer()
    {
        if (FerryTestServer.UsesPostgres)
        {
            // The corpus measures what apps Ferry runs, which the control-plane store does not change; scripts/test.sh
            // runs it once, with the SQLite store, instead of doubling the suite's longest test.
            output.WriteLine($"compat: not run again with {FerryTestServer.StoreVariable}=postgres (it ran with the SQLite store)");
            return;
        }

        var stopwatch = Stopwatch.StartNew();
        var corpus = Path.Combine(Repo.Root, "test", "compat");
        var expectations = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(corpus, "expectations.json")))!["apps"]!.AsObject();
        var folders = Directory.GetDirectories(corpus).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(folders, expectations.Select(app => app.Key).Order(StringComparer.Ordinal)); // every app has expectations

        // Each app is removed after its requests, but a few dozen functions still overlap: lift the instance quota.
        var quota = await RunCliAsync(corpus, new Dictionary<string, string>(),
            "tenant", "quota", "set", "default", "--instances", "500", "--memory-mb", "1048576");
        Assert.True(quota.ExitCode == 0, quota.ToString());

        // Several examples share a service name (three are 'serverless-rest-api-with-dynamodb') and so an app stage:
        // those run one after another, or one's deploy and removal would pull the other's functions away mid-test.
        var results = new ConcurrentDictionary<string, AppOutcome>();
        using var gate = new SemaphoreSlim(Parallelism);
        await Task.WhenAll(expectations.GroupBy(app => ServiceNameOf(Path.Combine(corpus, app.Key))).Select(async sameService =>
        {
            foreach (var app in sameService)
            {
                await gate.WaitAsync();
                try
                {
                    results[app.Key] = await RunAppAsync(Path.Combine(corpus, app.Key), app.Value!.AsObject());
                }
                catch (Exception e)
                {
                    results[app.Key] = AppOutcome.Fail($"test error: {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    gate.Release();
                }
            }
        }));

        var passed = results.Count(r => r.Value.Passed);
        var report = new StringBuilder();
        report.AppendLine($"compat: {passed} passed, {results.Count - passed} failed ({stopwatch.Elapsed.TotalSeconds:0} s)");
        foreach (var (name, outcome) in results.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var expected = expectations[name]!["expected"]!.GetValue<string>();
            var known = expectations[name]!["reason"]?.GetValue<string>();
            report.AppendLine(outcome.Passed
                ? $"  pass  {name}{(expected == "pass" ? "" : " (not yet listed as expected to pass: add it)")}"
                : $"  FAIL  {name}: {outcome.Reason}{(known is null ? "" : $" [known: {known}]")}");
        }

        output.WriteLine(report.ToString());
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "compat-corpus.txt"), report.ToString());
        var regressions = results
            .Where(r => !r.Value.Passed && expectations[r.Key]!["expected"]!.GetValue<string>() == "pass")
            .Select(r => $"{r.Key}: {r.Value.Reason}")
            .ToList();
        Assert.True(regressions.Count == 0, "apps expected to pass failed:\n" + string.Join("\n", regressions) + "\n\n" + report);
        Assert.True(passed >= MinimumPassing, $"only {passed} apps passed; at least {MinimumPassing} should\n{report}");
    }

    /// <summary>The app's <c>service:</c> (read as text: enough for these files), or its folder's name when it has none.</summary>
    private static string ServiceNameOf(string app)
    {
        var manifest = Path.Combine(app, "serverless.yml");
        var line = File.Exists(manifest)
            ? File.ReadLines(manifest).FirstOrDefault(l => l.StartsWith("service:", StringComparison.Ordinal))
            : null;
        return line is null ? Path.GetFileName(app) : line["service:".Length..].Trim().Trim('\'', '"');
    }

    private async Task<AppOutcome> RunAppAsync(string source, JsonObject expectation)
    {
        var app = AppCopy.Of(source);
        var environment = expectation["env"]?.AsObject().ToDictionary(e => e.Key, e => e.Value!.GetValue<string>())
            ?? new Dictionary<string, string>();
        if (NeedsNpmInstall(app))
        {
            var install = await RunAsync("npm", app, ["install", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                new Dictionary<string, string>(), NpmTimeLimit);
            if (install.ExitCode != 0)
            {
                return AppOutcome.Fail($"npm install --omit=dev failed: {LastLine(install.Stderr)}");
            }
        }

        var deploy = await RunCliAsync(app, environment, "deploy", "--output", "json");
        if (deploy.ExitCode != 0)
        {
            return AppOutcome.Fail($"deploy failed: {FirstError(deploy.Stderr)}");
        }

        try
        {
            var baseUrl = JsonSerializer.Deserialize<DeploymentResult>(deploy.Stdout, ApiJson.Options)!.BaseUrl;
            var captured = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var request in expectation["requests"]!.AsArray().Select(r => r!.AsObject()))
            {
                var problem = request["invoke"] is { } function
                    ? await InvokeAsync(app, environment, function.GetValue<string>(), request)
                    : await SendAsync(baseUrl, request, captured);
                if (problem is not null)
                {
                    return AppOutcome.Fail(problem);
                }
            }

            return AppOutcome.Pass;
        }
        finally
        {
            // Frees its instances for the apps still to come.
            await RunCliAsync(app, environment, "remove", "--yes", "--delete-data");
        }
    }

    /// <summary>Apps with runtime dependencies get them as on a Lambda deploy: npm install without devDependencies.</summary>
    private static bool NeedsNpmInstall(string app)
    {
        var packageJson = Path.Combine(app, "package.json");
        return File.Exists(packageJson)
            && JsonNode.Parse(File.ReadAllText(packageJson))?["dependencies"] is JsonObject { Count: > 0 };
    }

    private async Task<string?> InvokeAsync(string app, IReadOnlyDictionary<string, string> environment, string function, JsonObject request)
    {
        var data = request["data"]?.ToJsonString() ?? "{}";
        var invoke = await RunCliAsync(app, environment, "invoke", "-f", function, "--data", data);
        var expected = request["contains"]!.GetValue<string>();
        if (invoke.ExitCode != 0)
        {
            return $"invoke {function} failed: {Flatten(invoke.Stderr)}";
        }

        return invoke.Stdout.Contains(expected, StringComparison.Ordinal) ? null : $"invoke {function}: no '{expected}' in {Flatten(invoke.Stdout)}";
    }

    private async Task<string?> SendAsync(string baseUrl, JsonObject request, Dictionary<string, string> captured)
    {
        var method = request["method"]!.GetValue<string>();
        var path = request["path"]!.GetValue<string>();
        foreach (var (name, value) in captured)
        {
            path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
        }

        using var message = new HttpRequestMessage(new HttpMethod(method), baseUrl + path);
        if (request["json"] is { } json)
        {
            message.Content = new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
        }
        else if (request["body"] is { } body)
        {
            message.Content = new StringContent(body.GetValue<string>(), Encoding.UTF8);
            message.Content.Headers.ContentType = null;
        }

        foreach (var (name, value) in request["headers"]?.AsObject() ?? [])
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && message.Content is not null)
            {
                message.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(value!.GetValue<string>());
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value!.GetValue<string>());
            }
        }

        using var response = await _server.Http.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        var status = request["status"]?.GetValue<int>() ?? 200;
        var expected = request["contains"]?.GetValue<string>() ?? "";
        if ((int)response.StatusCode != status || !text.Contains(expected, StringComparison.Ordinal))
        {
            return $"{method} {path}: expected {status} with '{expected}', got {(int)response.StatusCode} {Flatten(text)}";
        }

        if (request["capture"]?.GetValue<string>() is { } field)
        {
            if (JsonNode.Parse(text)?[field] is not { } value)
            {
                return $"{method} {path}: the answer has no '{field}'";
            }

            captured[field] = value.ToString();
        }

        return null;
    }

    private Task<CliResult> RunCliAsync(string app, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var variables = new Dictionary<string, string>(environment)
        {
            ["FERRY_URL"] = _server.BaseUrl,
            ["FERRY_TOKEN"] = _server.AdminToken,
            ["NO_COLOR"] = "1",
        };
        return RunAsync("dotnet", app, [FerryCli.CliDll, .. args], variables, TimeSpan.FromMinutes(3));
    }

    private static async Task<CliResult> RunAsync(
        string command, string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeLimit)
    {
        var info = new ProcessStartInfo(command)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(timeLimit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return new CliResult(-1, await stdout, $"{command} did not finish within {timeLimit}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The first line that reports an error, else the last line: why a deploy failed, in one line.</summary>
    private static string FirstError(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? LastLine(stderr);
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(no output)";

    private static string Flatten(string text)
    {
        var flat = string.Join(' ', text.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return flat.Length > 300 ? flat[..300] + "…" : flat;
    }

    private sealed record AppOutcome(bool Passed, string? Reason)
    {
        public static AppOutcome Pass { get; } = new(true, null);

        public static AppOutcome Fail(string reason) => new(false, reason);
    }
}
