using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class ParamsTests
{
    private const string Yaml = """
        service: app
        provider:
          runtime: nodejs20.x
          stage: ${opt:stage, 'dev'}
          environment:
            DOMAIN: ${param:domain}
        params:
          default:
            domain: dev.example.test
            replicas: 1
            owner: team-a
          prod:
            domain: example.test
            replicas: 3
        """;

    [Fact]
    public void Default_params_apply_to_stages_without_a_block()
    {
        var manifest = LoadManifest(Yaml);

        Assert.Equal(new Dictionary<string, string> { ["domain"] = "dev.example.test", ["replicas"] = "1", ["owner"] = "team-a" }, manifest.Params);
        Assert.Equal("dev.example.test", manifest.Provider.Environment["DOMAIN"]);
    }

    [Fact]
    public void The_stage_block_wins_over_default()
    {
        var manifest = LoadManifest(Yaml, Options(stage: "prod"));

        Assert.Equal(new Dictionary<string, string> { ["domain"] = "example.test", ["replicas"] = "3", ["owner"] = "team-a" }, manifest.Params);
        Assert.Equal("example.test", manifest.Provider.Environment["DOMAIN"]);
    }

    [Fact]
    public void Param_overrides_win_over_the_file_and_may_add_new_params()
    {
        var manifest = LoadManifest(Yaml, Options(stage: "prod", paramOverrides: new Dictionary<string, string> { ["domain"] = "override.test", ["extra"] = "x" }));

        Assert.Equal("override.test", manifest.Params["domain"]);
        Assert.Equal("x", manifest.Params["extra"]);
        Assert.Equal("3", manifest.Params["replicas"]);
        Assert.Equal("override.test", manifest.Provider.Environment["DOMAIN"]);
    }

    [Fact]
    public void Stage_selected_through_opt_picks_the_params_block()
    {
        var manifest = LoadManifest(Yaml, Options(options: new Dictionary<string, string> { ["stage"] = "prod" }));

        Assert.Equal("example.test", manifest.Params["domain"]);
    }

    [Fact]
    public void Param_values_may_use_variables_and_must_be_scalars()
    {
        var manifest = LoadManifest("""
            service: app
            params:
              default:
                url: https://${sls:stage}.example.test
            """, Options(stage: "qa"));
        Assert.Equal("https://qa.example.test", manifest.Params["url"]);

        var error = SingleError("""
            service: app
            params:
              default:
                list: [1, 2]
            """);
        AssertAt(error, 4, 11);
        Assert.Equal("params.default.list must be a string, number or boolean, got a list", error.Message);
    }
}
