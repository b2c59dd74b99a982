using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary>Egg.js named in both formats: <c>framework: egg</c> on a web function and Tencent's <c>component: egg</c>.</summary>
public sealed class EggFrameworkTests
{
    [Fact]
    public void Framework_egg_makes_a_web_function_for_the_egg_preset()
    {
        var function = Assert.Single(LoadManifest("""
            service: harbour
            functions:
              web:
                framework: egg
                events:
                  - httpApi: '*'
            """).Functions);

        Assert.Equal(FunctionKind.Web, function.Kind);
        Assert.Equal("egg", function.Framework);
        Assert.Null(function.Command);
    }

    [Theory]
    [InlineData("egg")]
    [InlineData("@serverless/egg")]
    [InlineData("tencent-egg@0.1.0")]
    public void The_egg_component_is_a_web_function_at_every_path_started_by_the_egg_preset(string component)
    {
        var result = Load($"""
            component: '{component}'
            name: harbour-api
            app: harbour
            stage: dev
            inputs:
              src: ./
              functionConf:
                memorySize: 512
            """);

        var function = Assert.Single(result.Manifest.Functions);
        Assert.Equal(("harbour-api", FunctionKind.Web, "egg", 512), (function.Name, function.Kind, function.Framework, function.MemorySize));
        Assert.Single(function.Routes);
    }
}
