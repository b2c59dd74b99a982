using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// TypeScript apps deploy unchanged: the CLI bundles their handlers with esbuild (samples/aws-node-typescript names
/// serverless-esbuild), the server runs the JavaScript, and source maps make stack traces name the .ts lines.
/// </summary>
public sealed class TypeScriptBuildTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;
    private string _app = "";

    public async Task InitializeAsync()
    {
        _server = await FerryTestServer.StartAsync();
        _app = AppCopy.Of(Repo.Sample("aws-node-typescript"));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_serverless_esbuild_app_is_bundled_at_deploy_and_answers()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Bundling 2 functions with esbuild… done in", deploy.Stderr);
        Assert.Contains("custom.esbuild.concurrency", deploy.Stderr); // an option Ferry ignores is named
        Assert.True(File.Exists(Path.Combine(_app, ".ferry", "build", "src", "handler.js")));
        var body = await _server.Http.GetStringAsync("/aws-node-typescript/dev/hello?name=ts");
        Assert.Contains("\"message\":\"Hello, ts!\"", body);
        Assert.Contains("\"language\":\"TypeScript\"", body);
    }

    [Fact]
    public async Task A_thrown_error_names_the_typescript_file_and_line()
    {
        var deploy = await FerryCli.RunAsync(_server.BaseUrl, _app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var invoke = await FerryCli.RunAsync(_server.BaseUrl, _app, "invoke", "-f", "fail", "--data", "{}");

        Assert.Equal(1, invoke.ExitCode);
        Assert.Contains("fail handler: typed failure", invoke.Stderr);
        var throwLine = Array.FindIndex(
            File.ReadAllLines(Path.Combine(_app, "src", "handler.ts")), line => line.Contains("throw new Error", StringComparison.Ordinal)) + 1;
        Assert.Contains($"src/handler.ts:{throwLine}:", invoke.Stderr);
    }

    [Fact]
    public async Task Invoke_local_builds_a_handler_that_exists_only_as_typescript()
    {
        var app = TestApp.Create("""
            service: ts-only
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              add:
                handler: add.handler
            """,
            ("add.ts", "type Pair = { a: number; b: number };\nexport const handler = async (event: Pair): Promise<number> => event.a + event.b;\n"));

        var invoke = await FerryCli.RunAsync(_server.BaseUrl, app, "invoke", "local", "-f", "add", "--data", """{"a":2,"b":40}""");

        Assert.True(invoke.ExitCode == 0, invoke.ToString());
        Assert.Equal("42", invoke.Stdout.Trim());
        Assert.Contains("Bundling 1 function with esbuild… done in", invoke.Stderr);
    }

    [Fact]
    public async Task An_es_module_app_is_bundled_to_commonjs_that_still_loads_under_type_module()
    {
        var app = TestApp.Create("""
            service: esm-app
            plugins:
              - serverless-esbuild
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              hello:
                handler: src/hello.handler
            """,
            ("package.json", """{ "name": "esm-app", "type": "module" }"""),
            ("src/words.ts", "export const words = (text: string): number => text.split(' ').length;\n"),
            ("src/hello.ts", "import { words } from './words';\nexport const handler = async (event: { text: string }) => ({ words: words(event.text) });\n"));

        var invoke = await FerryCli.RunAsync(_server.BaseUrl, app, "invoke", "local", "-f", "hello", "--data", """{"text":"one two three"}""");

        Assert.True(invoke.ExitCode == 0, invoke.ToString());
        Assert.Contains("\"words\": 3", invoke.Stdout);
    }

    [Fact]
    public async Task A_build_error_shows_esbuild_message_with_file_and_line()
    {
        var app = TestApp.Create("""
            service: ts-broken
            plugins:
              - serverless-plugin-typescript
            provider:
              name: aws
              runtime: nodejs18.x
            functions:
              api:
                handler: src/api.handler
            """,
            ("src/api.ts", "export const handler = async () => {\n  const x: number = ;\n  return x;\n};\n"));

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");

        Assert.Equal(1, deploy.ExitCode);
        Assert.Contains("esbuild could not build the app", deploy.Stderr);
        Assert.Contains("src/api.ts:2:", deploy.Stderr);
    }
}
