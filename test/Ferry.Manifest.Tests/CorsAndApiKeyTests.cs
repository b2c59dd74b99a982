using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class CorsAndApiKeyTests
{
    private static string App(string provider, string events) => $"""
        service: app
        provider:
          runtime: nodejs20.x
        {provider}
        functions:
          api:
            handler: index.handler
            events:
        {events}
        """;

    [Fact]
    public void HttpApi_cors_true_applies_the_serverless_defaults_to_every_httpApi_route_with_their_methods()
    {
        var manifest = LoadManifest(App("""
              httpApi:
                cors: true
            """, """
                  - httpApi: GET /users
                  - httpApi: POST /users
                  - http: GET /legacy
            """));

        var routes = Assert.Single(manifest.Functions).Routes;
        var cors = routes[0].Cors!;
        Assert.Same(cors, routes[1].Cors);
        Assert.Equal(["*"], cors.AllowedOrigins);
        Assert.Equal(CorsSettings.DefaultHeaders, cors.AllowedHeaders);
        Assert.Equal(["GET", "OPTIONS", "POST"], cors.AllowedMethods);
        Assert.False(cors.AllowCredentials);
        Assert.Null(routes[2].Cors);
    }

    [Fact]
    public void HttpApi_cors_settings_are_read_as_written()
    {
        var cors = Assert.Single(LoadManifest(App("""
              httpApi:
                cors:
                  allowedOrigins:
                    - https://app.example.com
                    - https://*.example.org
                  allowedHeaders: [Content-Type, X-Trace]
                  allowedMethods: [get, put]
                  allowCredentials: true
                  exposedResponseHeaders: X-Total
                  maxAge: 600
            """, "      - httpApi: '*'")).Functions).Routes[0].Cors!;

        Assert.Equal(["https://app.example.com", "https://*.example.org"], cors.AllowedOrigins);
        Assert.Equal(["Content-Type", "X-Trace"], cors.AllowedHeaders);
        Assert.Equal(["GET", "PUT"], cors.AllowedMethods);
        Assert.True(cors.AllowCredentials);
        Assert.Equal(["X-Total"], cors.ExposedHeaders);
        Assert.Equal(600, cors.MaxAge);
    }

    [Fact]
    public void HttpApi_cors_with_credentials_and_any_origin_is_an_error_at_its_line()
    {
        var error = SingleError(App("""
              httpApi:
                cors:
                  allowCredentials: true
            """, "      - httpApi: GET /x"));

        AssertAt(error, 6, 7);
        Assert.Contains("allowCredentials: true cannot be used with the origin '*'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Http_cors_of_the_events_on_one_path_are_merged_into_its_preflight_answer()
    {
        var manifest = LoadManifest(App("", """
                  - http:
                      path: todos/{id}
                      method: get
                      cors: true
                  - http:
                      path: todos/{id}
                      method: delete
                      cors:
                        origins: [https://a.example, https://b.example]
                        headers: [Content-Type]
                        allowCredentials: true
                        maxAge: 86400
                        cacheControl: 'max-age=600, s-maxage=600'
                  - http:
                      path: todos
                      method: post
            """));

        var routes = Assert.Single(manifest.Functions).Routes;
        var merged = routes[0].Cors!;
        Assert.Equal(merged, routes[1].Cors);
        Assert.Equal(["*", "https://a.example", "https://b.example"], merged.AllowedOrigins);
        Assert.Equal(["DELETE", "GET", "OPTIONS"], merged.AllowedMethods);
        Assert.Contains("X-Amz-Date", merged.AllowedHeaders);
        Assert.True(merged.AllowCredentials);
        Assert.Equal(86400, merged.MaxAge);
        Assert.Equal("max-age=600, s-maxage=600", merged.CacheControl);
        Assert.Null(routes[2].Cors);
    }

    [Fact]
    public void Cors_on_an_httpApi_event_warns_that_the_provider_setting_is_what_counts()
    {
        var result = Load(App("", """
                  - httpApi:
                      method: get
                      path: /x
                      cors: true
            """));

        Assert.Equal("'functions.api.events[0].httpApi.cors' is not used: httpApi routes take their CORS settings from provider.httpApi.cors",
            Assert.Single(result.Warnings).Message);
    }

    [Fact]
    public void Private_http_events_and_api_keys_in_all_their_forms_are_read()
    {
        var manifest = LoadManifest(App("""
              apiGateway:
                apiKeys:
                  - plain-key
                  - name: valued
                    value: abcdefghijklmnopqrstuvwxyz
                    description: for partners
                  - free:
                      - planned
                shouldStartNameWithService: true
            """, """
                  - http:
                      path: secret
                      method: get
                      private: true
                  - http: GET open
            """));

        Assert.Equal(
            [new ApiKeyDeclaration("plain-key"), new ApiKeyDeclaration("valued", "abcdefghijklmnopqrstuvwxyz"), new ApiKeyDeclaration("planned")],
            manifest.Provider.ApiKeys);
        var routes = Assert.Single(manifest.Functions).Routes;
        Assert.True(routes[0].Private);
        Assert.False(routes[1].Private);
    }

    [Fact]
    public void Api_keys_under_provider_as_serverless_v2_wrote_them_are_read()
    {
        var manifest = LoadManifest(App("""
              apiKeys:
                - name: legacy
                  value: abcdefghijklmnopqrstuvwxyz
            """, "      - http: GET x"));

        Assert.Equal([new ApiKeyDeclaration("legacy", "abcdefghijklmnopqrstuvwxyz")], manifest.Provider.ApiKeys);
    }

    [Fact]
    public void A_short_api_key_value_and_a_duplicate_name_are_errors()
    {
        var errors = Errors(App("""
              apiGateway:
                apiKeys:
                  - name: short
                    value: tooshort
                  - twice
                  - twice
            """, "      - http: GET x"));

        Assert.Collection(errors,
            e => Assert.Contains("the value of API key 'short' has 8 characters; API key values have at least 20", e.Message, StringComparison.Ordinal),
            e => Assert.Contains("API key 'twice' is declared twice", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Cors_settings_and_api_keys_survive_the_json_round_trip()
    {
        var manifest = LoadManifest(App("""
              httpApi:
                cors: true
              apiGateway:
                apiKeys: [k1]
            """, """
                  - httpApi: GET /a
                  - http:
                      path: b
                      method: get
                      private: true
                      cors: true
            """));

        var copy = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));

        var routes = Assert.Single(copy.Functions).Routes;
        Assert.Equal(["GET", "OPTIONS"], routes[0].Cors!.AllowedMethods);
        Assert.True(routes[1].Private);
        Assert.Equal(["GET", "OPTIONS"], routes[1].Cors!.AllowedMethods);
        Assert.Equal([new ApiKeyDeclaration("k1")], copy.Provider.ApiKeys);
        Assert.Empty(ServiceManifestValidator.Validate(copy));
    }
}
