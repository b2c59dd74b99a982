using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class CustomDomainTests
{
    private static string App(string custom) => $"""
        service: shop
        provider:
          runtime: nodejs20.x
        functions:
          api:
            handler: index.handler
            events:
              - httpApi: '*'
        custom:
          other: free-form data stays free-form
        {custom}
        """;

    [Fact]
    public void CustomDomain_of_serverless_domain_manager_is_bound_with_its_base_path_and_where_it_is_written()
    {
        var result = Load(App("""
              customDomain:
                domainName: API.Example.com
                basePath: ''
                stage: ${sls:stage}
                createRoute53Record: true
            """));

        var domain = Assert.Single(result.Manifest.CustomDomains);
        Assert.Equal(new CustomDomainDeclaration("api.example.com", "", "custom.customDomain.domainName", new SourceLocation(FileName, 12, 17)), domain);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void CustomDomains_lists_plain_rest_and_http_items_and_skip_disabled_and_websocket_ones()
    {
        var result = Load(App("""
              customDomains:
                - domainName: www.example.com
                - rest:
                    domainName: api.example.com
                    basePath: v1
                - http:
                    domainName: api.example.com
                    basePath: /v2/
                - http:
                    domainName: old.example.com
                    enabled: false
                - websocket:
                    domainName: ws.example.com
            """));

        Assert.Equal([("www.example.com", ""), ("api.example.com", "/v1"), ("api.example.com", "/v2")],
            result.Manifest.CustomDomains.Select(d => (d.DomainName, d.BasePath)));
        Assert.Equal("custom.customDomains[1].rest.domainName", result.Manifest.CustomDomains[1].Key);
        Assert.Contains(result.Warnings, w => w.Message.Contains("WebSocket", StringComparison.Ordinal));
    }

    [Fact]
    public void Domains_survive_the_json_trip_to_the_server_with_their_location()
    {
        var manifest = LoadManifest(App("""
              customDomain:
                domainName: api.example.com
            """));

        var back = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));
        Assert.Equal(manifest.CustomDomains, back.CustomDomains);
        Assert.Empty(ServiceManifestValidator.Validate(back));
    }

    [Theory]
    [InlineData("domainName: 'api_x.example.com'", "custom.customDomain.domainName 'api_x.example.com' has the label 'api_x'", 12, 17)]
    [InlineData("domainName: localhost", "needs at least two labels", 12, 17)]
    [InlineData("basePath: /v1", "custom.customDomain.domainName is required", 12, 5)]
    public void An_invalid_domain_is_an_error_at_its_line(string body, string message, int line, int column)
    {
        var error = SingleError(App($"""
              customDomain:
                {body}
            """));

        Assert.Contains(message, error.Message);
        AssertAt(error, line, column);
    }

    [Fact]
    public void The_server_refuses_invalid_or_repeated_domains_in_json()
    {
        var manifest = LoadManifest(App("")) with
        {
            CustomDomains = [new("api.example.com"), new("api.example.com"), new("*.*.example.com"), new("a.example.com", "/v1/")],
        };

        var problems = ServiceManifestValidator.Validate(manifest).Select(p => p.Message).ToList();
        Assert.True(problems.Count == 3, string.Join(" / ", problems));
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("declared twice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'*' only as its whole first label", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("base path \"/v1/\" is invalid", StringComparison.Ordinal));
    }
}
