using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.StemCells;

namespace Ferry.Runtime.Tests.StemCells;

/// <summary>Which functions a stem cell can become, and which get a normal cold start.</summary>
public sealed class StemCellFitTests
{
    private static readonly IReadOnlyDictionary<string, string> CellEnvironment = FunctionInstance.RuntimeEnvironment();

    private static FunctionRevision Function(string runtime, IReadOnlyDictionary<string, string>? environment = null,
        bool outboundNetwork = false, FunctionResources? resources = null) => new()
    {
        Tenant = "t",
        AppStageId = 1,
        RevisionId = 1,
        RevisionNumber = 1,
        Service = "s",
        Stage = "dev",
        Region = "local",
        CodeDirectory = "/nonexistent",
        Resources = resources ?? FunctionResources.None,
        Function = new FunctionManifest
        {
            Name = "f",
            Handler = "app.handler",
            Runtime = runtime,
            MemorySize = 128,
            Timeout = 3,
            Environment = environment ?? new Dictionary<string, string>(),
            OutboundNetwork = outboundNetwork,
        },
    };

    [Theory]
    [InlineData("nodejs18.x", "node")]
    [InlineData("nodejs22.x", "node")]
    [InlineData("python3.9", "python")]
    [InlineData("python3.13", "python")]
    public void Node_and_python_event_functions_with_ordinary_variables_fit(string runtime, string family)
    {
        var function = Function(runtime, new Dictionary<string, string> { ["TABLE"] = "orders", ["TZ"] = "Europe/Berlin", ["PATH"] = "/var/task/bin:/usr/bin:/bin" });

        Assert.Null(StemCellFit.Mismatch(function, CellEnvironment));
        Assert.Equal(family, StemCellFamily.Of(function.Function)!.Name);
    }

    [Fact]
    public void Provided_runtimes_have_no_stem_cells()
    {
        Assert.Null(StemCellFamily.Of(Function("provided.al2023").Function));
        Assert.Contains("no stem cells", StemCellFit.Mismatch(Function("provided.al2023"), CellEnvironment));
    }

    [Fact]
    public void A_web_function_fits_a_web_cell_whatever_variables_it_sets_since_its_command_is_started_afresh()
    {
        var function = Function("web", new Dictionary<string, string> { ["NODE_OPTIONS"] = "--max-old-space-size=200", ["LANG"] = "de_DE.UTF-8" });
        function = function with { Function = function.Function with { Command = ["node", "server.js"] } };

        Assert.Same(StemCellFamily.Web, StemCellFamily.Of(function.Function));
        Assert.Null(StemCellFit.Mismatch(function, CellEnvironment));
    }

    [Fact]
    public void A_web_function_with_an_unusable_launch_gets_a_normal_start()
    {
        var function = Function("web");
        var tooLarge = function with { Function = function.Function with { Command = ["node", new string('x', WebCellLaunch.MaxScriptBytes)] } };
        var oddProgram = function with { Function = function.Function with { Command = ["A=B"] } };

        Assert.Contains("larger", StemCellFit.Mismatch(tooLarge, CellEnvironment));
        Assert.Contains("'='", StemCellFit.Mismatch(oddProgram, CellEnvironment));
    }

    [Theory]
    [InlineData("NODE_OPTIONS", "--enable-source-maps")]
    [InlineData("NODE_PATH", "/var/task/lib")]
    [InlineData("PYTHONPATH", "/var/task/vendor")]
    [InlineData("LD_PRELOAD", "/var/task/lib.so")]
    [InlineData("LC_ALL", "de_DE.UTF-8")]
    [InlineData("LANG", "de_DE.UTF-8")]
    public void A_variable_read_only_at_process_start_rules_out_a_cell(string name, string value)
    {
        var mismatch = StemCellFit.Mismatch(Function("python3.11", new Dictionary<string, string> { [name] = value }), CellEnvironment);

        Assert.Contains(name, mismatch);
    }

    [Fact]
    public void A_start_variable_equal_to_the_cells_own_value_still_fits()
    {
        Assert.Null(StemCellFit.Mismatch(Function("nodejs20.x", new Dictionary<string, string> { ["LANG"] = CellEnvironment["LANG"] }), CellEnvironment));
    }

    [Fact]
    public void Outbound_network_resource_services_and_data_mounts_rule_out_a_cell()
    {
        Assert.Contains("outbound network", StemCellFit.Mismatch(Function("nodejs20.x", outboundNetwork: true), CellEnvironment));
        var services = new FunctionResources { Services = [new ResourceService("s3", 9100, "/run/s3.sock", "127.0.0.1", 9100)] };
        Assert.Contains("resource services", StemCellFit.Mismatch(Function("nodejs20.x", resources: services), CellEnvironment));
        var mounts = new FunctionResources { Mounts = [new SandboxMount("/srv/db", "/var/ferry/db")] };
        Assert.Contains("data folders", StemCellFit.Mismatch(Function("nodejs20.x", resources: mounts), CellEnvironment));
        var startVariable = new FunctionResources { Environment = new Dictionary<string, string> { ["PYTHONHOME"] = "/x" } };
        Assert.Contains("PYTHONHOME", StemCellFit.Mismatch(Function("python3.12", resources: startVariable), CellEnvironment));
    }

    [Fact]
    public void Services_every_cell_has_bridges_to_still_fit_but_any_other_service_does_not()
    {
        HostServiceBridge[] shared = [new(9100, "/run/s3.sock"), new(9101, "/run/lambda.sock")];
        var awsOnly = new FunctionResources
        {
            Services = [new ResourceService("s3", 9100, "/run/s3.sock", "127.0.0.1", 40000), new ResourceService("lambda", 9101, "/run/lambda.sock", "127.0.0.1", 40001)],
        };
        Assert.Null(StemCellFit.Mismatch(Function("nodejs20.x", resources: awsOnly), CellEnvironment, shared));

        var withPostgres = awsOnly with { Services = [.. awsOnly.Services, new ResourceService("postgres", 5432, "/run/pg.sock", "127.0.0.1", 5432)] };
        Assert.Contains("resource services", StemCellFit.Mismatch(Function("python3.11", resources: withPostgres), CellEnvironment, shared));
        var elsewhere = new FunctionResources { Services = [new ResourceService("s3", 9100, "/run/other.sock", "127.0.0.1", 40000)] };
        Assert.Contains("resource services", StemCellFit.Mismatch(Function("python3.11", resources: elsewhere), CellEnvironment, shared));
    }

    [Theory]
    [InlineData("nodejs20.x")]
    [InlineData("python3.11")]
    public void A_cell_runs_the_same_command_as_a_normal_start(string runtime)
    {
        var function = Function(runtime).Function;

        Assert.Equal(EventFunctionInstance.CommandFor(function), StemCellFamily.Of(function)!.Command);
    }
}
