namespace Ferry.Manifest.Tests;

public sealed class ServiceManifestJsonTests
{
    private static ServiceManifest Sample() => Manifests.LoadManifest("""
        service: shop
        provider:
          name: aws
          runtime: nodejs20.x
          memorySize: 256
          environment:
            LOG_LEVEL: debug
        params:
          default:
            apiUrl: https://example.test
        package:
          patterns: ['!tests/**']
        functions:
          api:
            handler: src/api.handler
            events:
              - httpApi: GET /items/{id}
              - http: POST items
              - schedule: {rate: cron(0 12 * * ? *), enabled: false, input: {job: nightly}}
          site:
            command: node server.js
        """);

    [Fact]
    public void Round_trip_keeps_every_field()
    {
        var original = Sample();

        var json = ServiceManifestJson.Serialize(original);
        var copy = ServiceManifestJson.Deserialize(json);

        Assert.Equal(json, ServiceManifestJson.Serialize(copy));
        Assert.Equal(original.Service, copy.Service);
        Assert.Equal(original.Provider.Environment, copy.Provider.Environment);
        Assert.Equal(original.Provider.ApiKeys, copy.Provider.ApiKeys);
        Assert.Equal(original.Provider with { Environment = copy.Provider.Environment, ApiKeys = copy.Provider.ApiKeys }, copy.Provider);
        Assert.Equal(original.Params, copy.Params);
        Assert.Equal(original.PackagePatterns, copy.PackagePatterns);
        Assert.Equal(original.Functions.Select(f => f.Name), copy.Functions.Select(f => f.Name));
        Assert.Equal(original.Functions[0].Routes, copy.Functions[0].Routes);
        Assert.Equal([new ScheduleEvent("cron(0 12 * * ? *)", Enabled: false, Input: """{"job":"nightly"}""")], copy.Functions[0].Schedules);
        Assert.Equal(original.Functions[1].Command, copy.Functions[1].Command);
        Assert.Null(copy.Functions[0].Location);
        Assert.Empty(ServiceManifestValidator.Validate(copy));
    }

    [Fact]
    public void Json_is_camel_case_and_keeps_environment_keys_as_written()
    {
        var json = ServiceManifestJson.Serialize(Sample());

        Assert.Contains("\"packagePatterns\":[\"!tests/**\"]", json);
        Assert.Contains("\"environment\":{\"LOG_LEVEL\":\"debug\"}", json);
        Assert.Contains("\"payloadFormat\":\"1.0\"", json);
        Assert.DoesNotContain("\"kind\"", json);
        Assert.DoesNotContain("\"location\"", json);
    }

    [Theory]
    [InlineData("not json", "the manifest JSON is invalid")]
    [InlineData("null", "the manifest JSON is null; expected an object")]
    [InlineData("""{"provider":{"stage":"dev","region":"local"},"functions":[]}""", "service")]
    [InlineData("""{"service":"a","provider":{"stage":"dev","region":"local"},"functions":[{"name":"f","runtime":"web","memorySize":"big","timeout":3}]}""", "$.functions[0].memorySize")]
    [InlineData("""{"service":null,"provider":{"stage":"dev","region":"local"},"functions":[]}""", "service")]
    public void Bad_json_throws_a_manifest_exception_saying_where(string json, string expected)
    {
        var exception = Assert.Throws<ManifestException>(() => ServiceManifestJson.Deserialize(json));

        var error = Assert.Single(exception.Errors);
        Assert.Null(error.Location);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Options_are_read_only()
    {
        Assert.True(ServiceManifestJson.Options.IsReadOnly);
    }
}
