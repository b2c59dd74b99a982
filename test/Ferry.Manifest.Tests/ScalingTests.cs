using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class ScalingTests
{
    private static string Function(string settings, string kind = "handler: index.handler") => $"""
        service: app
        provider:
          runtime: nodejs20.x
        functions:
          fn:
            {kind}
        {settings}
        """;

    [Fact]
    public void Scaling_keys_and_their_lambda_aliases_are_read()
    {
        var scaling = Assert.Single(LoadManifest(Function("""
                minInstances: 2
                maxInstances: 5
                keepWarm: 30
                outboundNetwork: true
            """)).Functions);
        Assert.Equal(new FunctionScaling { MinInstances = 2, MaxInstances = 5, KeepWarmSeconds = 30 }, scaling.Scaling);
        Assert.True(scaling.OutboundNetwork);

        var aliases = Assert.Single(LoadManifest(Function("""
                provisionedConcurrency: 1
                reservedConcurrency: 3
            """)).Functions);
        Assert.Equal(new FunctionScaling { MinInstances = 1, MaxInstances = 3 }, aliases.Scaling);
        Assert.False(aliases.OutboundNetwork);
    }

    [Fact]
    public void Web_functions_take_a_concurrency_per_instance()
    {
        var web = Assert.Single(LoadManifest(Function("    concurrency: 20", "command: node server.js")).Functions);
        Assert.Equal(20, web.Scaling.Concurrency);
    }

    [Fact]
    public void Bad_values_are_located_errors()
    {
        var bad = Errors(Function("""
                maxInstances: 0
                keepWarm: forever
                outboundNetwork: maybe
            """));
        Assert.Contains(bad, e => e.Message.StartsWith("functions.fn.maxInstances must be a whole number from 1 to 1000", StringComparison.Ordinal) && e.Location!.Line == 7);
        Assert.Contains(bad, e => e.Message.StartsWith("functions.fn.keepWarm must be a number of seconds", StringComparison.Ordinal) && e.Location!.Line == 8);
        Assert.Contains(bad, e => e.Message.StartsWith("functions.fn.outboundNetwork must be true or false", StringComparison.Ordinal) && e.Location!.Line == 9);

        Assert.Contains("applies to web functions", SingleError(Function("    concurrency: 4")).Message);
        Assert.Contains("larger than maxInstances", SingleError(Function("""
                minInstances: 3
                maxInstances: 2
            """)).Message);
    }

    [Fact]
    public void Json_manifests_are_checked_the_same_way()
    {
        var manifest = LoadManifest(Function("    minInstances: 1"));
        var broken = manifest with { Functions = [manifest.Functions[0] with { Scaling = new FunctionScaling { MinInstances = 4, MaxInstances = 2 } }] };
        Assert.Contains(ServiceManifestValidator.Validate(broken), e => e.Message.Contains("larger than maxInstances", StringComparison.Ordinal));
        Assert.Equal(manifest.Functions[0].Scaling, ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest)).Functions[0].Scaling);
    }
}
