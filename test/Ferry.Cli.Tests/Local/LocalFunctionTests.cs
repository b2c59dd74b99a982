using Ferry.Cli.Local;
using Ferry.Manifest;

namespace Ferry.Cli.Tests.Local;

public sealed class LocalFunctionTests : IDisposable
{
    private readonly string _app = Directory.CreateTempSubdirectory("ferry-local-fn-").FullName;
    private readonly string _runtime = Directory.CreateTempSubdirectory("ferry-local-runtime-").FullName;

    public LocalFunctionTests()
    {
        Directory.CreateDirectory(Path.Combine(_runtime, "node"));
        Directory.CreateDirectory(Path.Combine(_runtime, "python"));
        File.WriteAllText(Path.Combine(_runtime, "node", "bootstrap.mjs"), "");
        File.WriteAllText(Path.Combine(_runtime, "python", "bootstrap.py"), "");
    }

    public void Dispose()
    {
        Directory.Delete(_app, recursive: true);
        Directory.Delete(_runtime, recursive: true);
    }

    private static FunctionManifest Function(string name, string runtime, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        Name = name,
        Handler = runtime == RuntimeCatalog.Web ? null : "handler.main",
        Runtime = runtime,
        Command = runtime == RuntimeCatalog.Web ? ["node", "server.js"] : null,
        MemorySize = 256,
        Timeout = 3,
        Environment = environment ?? new Dictionary<string, string>(),
    };

    private static ServiceManifest Manifest(params FunctionManifest[] functions) => new()
    {
        Service = "shop",
        Provider = new ProviderSettings { Stage = "dev", Region = "eu" },
        Functions = functions,
    };

    [Fact]
    public void The_environment_is_lambdas_with_the_functions_own_variables_on_top()
    {
        var function = LocalFunction.Find(
            Manifest(Function("api", "nodejs20.x", new Dictionary<string, string> { ["TZ"] = "Europe/Paris", ["TABLE"] = "orders", ["_HANDLER"] = "evil.x" })),
            "api", _app, _runtime);

        var environment = function.Environment("127.0.0.1:4000", "req-1");

        Assert.Equal("127.0.0.1:4000", environment["AWS_LAMBDA_RUNTIME_API"]);
        Assert.Equal("handler.main", environment["_HANDLER"]);
        Assert.Equal(_app, environment["LAMBDA_TASK_ROOT"]);
        Assert.Equal("shop-dev-api", environment["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.Equal("256", environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]);
        Assert.Equal("eu", environment["AWS_REGION"]);
        Assert.Equal("orders", environment["TABLE"]);
        Assert.Equal("Europe/Paris", environment["TZ"]);
    }

    [Fact]
    public void Node_and_python_functions_run_ferrys_runtime_loops()
    {
        var manifest = Manifest(Function("js", "nodejs20.x"), Function("py", "python3.11"));

        var node = LocalFunction.Find(manifest, "js", _app, _runtime).Command();
        var python = LocalFunction.Find(manifest, "py", _app, _runtime).Command();

        Assert.Equal(["node", Path.Combine(_runtime, "node", "bootstrap.mjs")], node);
        Assert.Equal(["-u", Path.Combine(_runtime, "python", "bootstrap.py")], python.Skip(1));
        Assert.EndsWith("python3", python[0]);
    }

    [Fact]
    public void Provided_functions_run_the_apps_executable_bootstrap()
    {
        var bootstrap = Path.Combine(_app, "bootstrap");
        File.WriteAllText(bootstrap, "#!/bin/sh\n");
        var function = LocalFunction.Find(Manifest(Function("sh", "provided.al2")), "sh", _app, _runtime);

        var notExecutable = Assert.Throws<CliUserException>(() => function.Command());
        File.SetUnixFileMode(bootstrap, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Contains("chmod +x", notExecutable.Message);
        Assert.Equal([bootstrap], function.Command());
    }

    [Fact]
    public void An_unknown_function_is_an_error_that_lists_the_functions()
    {
        var error = Assert.Throws<CliUserException>(() => LocalFunction.Find(Manifest(Function("a", "nodejs20.x"), Function("b", "python3.12")), "c", _app, _runtime));

        Assert.Equal("Service shop has no function 'c'; its functions are: a, b.", error.Message);
    }

    [Fact]
    public void A_web_function_cannot_be_invoked_locally()
    {
        var error = Assert.Throws<CliUserException>(() => LocalFunction.Find(Manifest(Function("site", RuntimeCatalog.Web)), "site", _app, _runtime));

        Assert.Contains("web function", error.Message);
        Assert.Contains("node server.js", error.Message);
    }
}
