using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// samples/web-egg deployed unchanged: <c>ferry deploy</c> detects egg from package.json and runs <c>npm ci</c>; the
/// sandbox runs the app as one process through Ferry's egg launcher (no egg-scripts daemon or cluster, nothing written
/// into the read-only app folder), its controller's page and JSON route answer under <c>/{service}/{stage}</c> and at
/// <c>/</c> of a custom domain, and what egg's loggers write reaches <c>ferry logs</c>.
/// </summary>
public sealed class EggAppTests : IAsyncLifetime
{
    /// <summary>npm ci of egg's ~440 packages on a loaded 2-core machine: no timing is asserted, the wait is generous.</summary>
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(15);

    private const string Host = "egg.example.test";

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_egg_app_runs_as_one_process_and_answers_under_the_prefix_and_at_a_custom_host_with_its_logs_in_ferry_logs()
    {
        var app = Repo.Sample("web-egg");
        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework egg for function web (package.json depends on egg); starts with: node /opt/ferry/node/egg-launcher.cjs", deploy.Stderr);
        Assert.Contains("Build: npm ci", deploy.Stderr);

        // Under /{service}/{stage}: egg routes its own paths, the prefix arrives as X-Forwarded-Prefix; EGG_SERVER_ENV is prod.
        var page = await GetStringAsync(app, "/eggapp/dev/");
        Assert.Contains("<h1>Egg harbour</h1>", page);
        Assert.Contains("<p id=\"prefix\">/eggapp/dev</p>", page);
        Assert.Contains("<p id=\"env\">prod</p>", page);

        var boat = await _server.Http.GetFromJsonAsync<JsonElement>("/eggapp/dev/api/boats/ark?q=oar");
        Assert.Equal(("egg", "ark", "oar", "/api/boats/ark", "/eggapp/dev", "prod"), (boat.GetProperty("app").GetString(),
            boat.GetProperty("boat").GetString(), boat.GetProperty("q").GetString(), boat.GetProperty("path").GetString(),
            boat.GetProperty("prefix").GetString(), boat.GetProperty("env").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/eggapp/dev/nowhere")).StatusCode);

        // At / of a custom domain: the same routes, no prefix, and ctx.host is the domain (config.proxy trusts X-Forwarded-Host).
        var add = await FerryCli.RunAsync(_server.BaseUrl, app, "domain", "add", Host, "--app", "eggapp", "--stage", "dev");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("<p id=\"prefix\">/</p>", (await _server.Http.GetAtHostAsync(Host, "/")).Body);
        var atHost = JsonDocument.Parse((await _server.Http.GetAtHostAsync(Host, "/api/boats/junk")).Body).RootElement;
        Assert.Equal(("junk", "/api/boats/junk", JsonValueKind.Null, Host), (atHost.GetProperty("boat").GetString(), atHost.GetProperty("path").GetString(),
            atHost.GetProperty("prefix").ValueKind, atHost.GetProperty("host").GetString()));

        // egg's context logger writes to the console instead of files under $HOME/logs, so the line is in ferry logs.
        var lines = await WaitForLogAsync(app, "boat junk requested");
        Assert.Contains(lines, l => l.Message.Contains("boat ark requested", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Message.StartsWith("egg (prod) listening on 127.0.0.1:", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Message.Contains("EROFS", StringComparison.Ordinal) || l.Message.Contains("dumpConfig error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_egg_starter_installs_its_dependencies_deploys_and_answers_under_its_prefix()
    {
        var parent = TempDirectory.Create("init");
        var init = await FerryCli.RunAsync(_server.BaseUrl, parent, "init", "egg", "--dir", "init-egg");
        Assert.True(init.ExitCode == 0, init.ToString());
        var app = Path.Combine(parent, "init-egg");

        // No lock file in a starter: npm install resolves egg 3 at the first deploy.
        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework egg for function web (framework: egg)", deploy.Stderr);
        Assert.Contains("Build: npm install", deploy.Stderr);

        var index = JsonDocument.Parse(await GetStringAsync(app, "/init-egg/dev/")).RootElement;
        Assert.Equal(("init-egg", "egg"), (index.GetProperty("app").GetString(), index.GetProperty("framework").GetString()));
        var hello = await _server.Http.GetFromJsonAsync<JsonElement>("/init-egg/dev/hello/ferry");
        Assert.Equal("Hello, ferry!", hello.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_same_app_as_a_tencent_egg_component_deploys_as_a_web_function_started_by_the_egg_preset()
    {
        var app = AppCopy.Of(Repo.Sample("web-egg"));
        await File.WriteAllTextAsync(Path.Combine(app, "serverless.yml"), """
            app: harbour
            stage: dev
            component: egg
            name: eggcomp
            inputs:
              src: ./
              functionConf:
                memorySize: 256
            """);

        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework egg for function eggcomp (framework: egg)", deploy.Stderr);

        var boat = JsonDocument.Parse(await GetStringAsync(app, "/eggcomp/dev/api/boats/dinghy")).RootElement;
        Assert.Equal(("dinghy", "/api/boats/dinghy", "/eggcomp/dev"), (boat.GetProperty("boat").GetString(), boat.GetProperty("path").GetString(),
            boat.GetProperty("prefix").GetString()));
    }

    [Fact]
    public async Task A_typescript_egg_app_is_compiled_with_its_tsc_script_and_runs_its_compiled_javascript()
    {
        // egg's TypeScript boilerplate, cut down: egg-ts-helper writes the typings router.ts needs, tsc the .js beside each .ts.
        var app = TestApp.Create("""
            service: eggts
            provider:
              name: ferry
            functions:
              web:
                runtime: web
                events:
                  - httpApi: '*'
            """,
            ("package.json", """
                {
                  "name": "eggts",
                  "private": true,
                  "egg": { "typescript": true, "declarations": true },
                  "scripts": { "start": "egg-scripts start --daemon", "tsc": "ets && tsc -p tsconfig.json" },
                  "dependencies": { "egg": "^3.34.0", "egg-scripts": "^2.17.0" },
                  "devDependencies": { "@eggjs/tsconfig": "^1.3.3", "@types/node": "^20.0.0", "egg-ts-helper": "^2.1.0", "typescript": "^5.6.0" }
                }
                """),
            ("tsconfig.json", """
                { "extends": "@eggjs/tsconfig", "compilerOptions": { "declaration": false, "skipLibCheck": true }, "exclude": ["node_modules", "typings/**/*.d.ts"] }
                """),
            ("config/config.default.ts", """
                import { EggAppConfig, EggAppInfo, PowerPartial } from 'egg';

                export default (appInfo: EggAppInfo) => {
                  const config = {} as PowerPartial<EggAppConfig>;
                  config.keys = `${appInfo.name}_keys`;
                  return config;
                };
                """),
            ("app/router.ts", """
                import { Application } from 'egg';

                export default (app: Application) => {
                  app.router.get('/ships/:name', app.controller.ships.show);
                };
                """),
            ("app/controller/ships.ts", """
                import { Controller } from 'egg';

                export default class ShipsController extends Controller {
                  public async show() {
                    const name: string = this.ctx.params.name;
                    this.ctx.body = { ship: name.toUpperCase(), typescript: true };
                  }
                }
                """));

        var deploy = await FerryCli.RunAsync(BuildPatience, _server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Framework egg for function web (package.json depends on egg)", deploy.Stderr);
        Assert.Contains("Build: npm run tsc", deploy.Stderr);
        Assert.True(File.Exists(Path.Combine(app, "app", "controller", "ships.js")), "tsc wrote no app/controller/ships.js");

        var ship = JsonDocument.Parse(await GetStringAsync(app, "/eggts/dev/ships/clipper")).RootElement;
        Assert.Equal("CLIPPER", ship.GetProperty("ship").GetString());
    }

    /// <summary>The body of a successful GET; on failure the message carries the function's logs (why the app did not start).</summary>
    private async Task<string> GetStringAsync(string app, string path)
    {
        using var response = await _server.Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            var logs = await FerryCli.RunAsync(_server.BaseUrl, app, "logs");
            Assert.Fail($"{path}: {(int)response.StatusCode} {body}\nthe function's logs:\n{logs}");
        }

        return body;
    }

    private async Task<LogLine[]> WaitForLogAsync(string app, string expected)
    {
        LogLine[] lines = [];
        for (var attempt = 0; attempt < 100 && !lines.Any(l => l.Message.Contains(expected, StringComparison.Ordinal)); attempt++)
        {
            await Task.Delay(100);
            var cli = await FerryCli.RunAsync(_server.BaseUrl, app, "logs", "-f", "web", "--output", "json");
            Assert.True(cli.ExitCode == 0, cli.ToString());
            lines = [.. cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<LogLine>(l, ApiJson.Options)!)];
        }

        Assert.Contains(lines, l => l.Message.Contains(expected, StringComparison.Ordinal));
        return lines;
    }
}
