using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class AsyncInvocationTests
{
    private static string Function(string settings) => $"""
        service: app
        provider:
          runtime: nodejs20.x
        functions:
          fn:
            handler: index.handler
        {settings}
        """;

    [Fact]
    public void Lambda_retry_keys_are_read_and_default_to_the_server()
    {
        var function = Assert.Single(LoadManifest(Function("""
                maximumRetryAttempts: 0
                maximumEventAge: 120
            """)).Functions);
        Assert.Equal(new AsyncInvocationSettings { MaximumRetryAttempts = 0, MaximumEventAgeSeconds = 120 }, function.AsyncInvocation);

        var defaults = Assert.Single(LoadManifest(Function("")).Functions);
        Assert.Equal(new AsyncInvocationSettings(), defaults.AsyncInvocation);
    }

    [Fact]
    public void Out_of_range_values_are_located_errors_with_lambdas_limits()
    {
        var errors = Errors(Function("""
                maximumRetryAttempts: 3
                maximumEventAge: 30
            """));
        Assert.Collection(errors,
            e => { AssertAt(e, 7, 27); Assert.Contains("0, 1 or 2", e.Message); },
            e => { AssertAt(e, 8, 22); Assert.Contains("60 to 21600", e.Message); });
    }

    [Fact]
    public void Settings_survive_the_json_round_trip()
    {
        var manifest = LoadManifest(Function("    maximumRetryAttempts: 1"));
        Assert.Equal(1, ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest)).Functions[0].AsyncInvocation.MaximumRetryAttempts);
    }
}
