using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class HttpEventTests
{
    private static string WithEvents(string events, string name = "api") => $"""
        service: app
        provider:
          runtime: nodejs20.x
        functions:
          {name}:
            handler: index.handler
            events:
        {events}
        """;

    private static IReadOnlyList<HttpRoute> Routes(string events) =>
        Assert.Single(LoadManifest(WithEvents(events)).Functions).Routes;

    [Fact]
    public void HttpApi_string_form_upper_cases_the_method()
    {
        Assert.Equal(
            [new HttpRoute("GET", "/users/{id}"), new HttpRoute("POST", "/users"), new HttpRoute("*", "/any/{proxy+}")],
            Routes("""
                  - httpApi: 'GET /users/{id}'
                  - httpApi: post /users
                  - httpApi: ANY /any/{proxy+}
            """));
    }

    [Fact]
    public void HttpApi_star_means_any_method_and_any_path()
    {
        Assert.Equal([new HttpRoute("*", "*", HttpRoute.PayloadV2)], Routes("      - httpApi: '*'"));
    }

    [Fact]
    public void HttpApi_mapping_form()
    {
        Assert.Equal(
            [new HttpRoute("DELETE", "/items/{itemId}"), new HttpRoute("*", "/")],
            Routes("""
                  - httpApi:
                      method: delete
                      path: /items/{itemId}
                  - httpApi: {method: '*', path: /}
            """));
    }

    [Fact]
    public void Http_v1_events_get_a_leading_slash_and_payload_format_1()
    {
        Assert.Equal(
            [new HttpRoute("GET", "/users/{id}", HttpRoute.PayloadV1), new HttpRoute("GET", "/users/create", HttpRoute.PayloadV1), new HttpRoute("POST", "/", HttpRoute.PayloadV1)],
            Routes("""
                  - http:
                      path: users/{id}
                      method: get
                  - http: 'GET users/create'
                  - http: {path: '', method: post}
            """));
    }

    [Fact]
    public void Other_event_types_warn_and_are_ignored()
    {
        var result = Load(WithEvents("""
                  - stream: arn:aws:kinesis:region:123:stream/s
                  - schedule: rate(1 minute)
                  - sns: alerts
                  - httpApi: GET /
            """));

        var function = Assert.Single(result.Manifest.Functions);
        Assert.Equal([new HttpRoute("GET", "/")], function.Routes);
        Assert.Equal([new ScheduleEvent("rate(1 minute)")], function.Schedules);
        Assert.Collection(result.Warnings,
            w => { AssertAt(w, 8, 9); Assert.Equal("event type 'stream' is not supported yet; ignored", w.Message); },
            w => { AssertAt(w, 10, 9); Assert.Equal("event type 'sns' is not supported yet; ignored", w.Message); });
    }

    [Fact]
    public void Http_event_options_aws_uses_are_noted_as_unused()
    {
        var result = Load(WithEvents("""
                  - http:
                      path: /x
                      method: get
                      authorizer: aws_iam
            """));

        Assert.Equal("'functions.api.events[0].http.authorizer' is not used by Ferry; ignored", Assert.Single(result.Warnings).Message);
    }

    [Fact]
    public void Duplicate_route_across_functions_names_both()
    {
        var error = SingleError("""
            service: app
            provider:
              runtime: nodejs20.x
            functions:
              first:
                handler: first.handler
                events:
                  - httpApi: GET /users/{id}
              second:
                handler: second.handler
                events:
                  - httpApi:
                      method: GET
                      path: /users/{userId}
            """);

        AssertAt(error, 12, 9);
        Assert.Equal("route GET /users/{userId} of function 'second' is already declared by function 'first'", error.Message);
    }

    [Fact]
    public void Same_path_with_different_methods_is_not_a_duplicate()
    {
        Assert.Equal(3, Routes("""
                  - httpApi: GET /x
                  - httpApi: POST /x
                  - httpApi: '* /x'
            """).Count);
    }

    [Theory]
    [InlineData("'GET users'", 8, 18, "path must start with '/'")]
    [InlineData("'FETCH /users'", 8, 18, "method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY or *")]
    [InlineData("'GET /a/{rest+}/b'", 8, 18, "greedy parameter '{rest+}' only as the last segment")]
    [InlineData("'GET /a//b'", 8, 18, "empty segments")]
    [InlineData("'GET /a/{id}/{id}'", 8, 18, "uses the parameter name 'id' twice")]
    [InlineData("'GET /a/x{id}'", 8, 18, "invalid segment 'x{id}'")]
    [InlineData("GET", 8, 18, "must be 'METHOD /path'")]
    [InlineData("{method: get}", 8, 18, "must have 'path'")]
    [InlineData("[GET, /]", 8, 18, "must be 'METHOD /path', '*' or a mapping")]
    public void Invalid_routes_say_what_is_expected(string value, int line, int column, string expected)
    {
        var error = SingleError(WithEvents($"      - httpApi: {value}"));

        AssertAt(error, line, column);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Misindented_event_settings_get_a_hint()
    {
        var error = SingleError(WithEvents("""
                  - httpApi:
                    path: /
                    method: get
            """));

        AssertAt(error, 8, 9);
        Assert.Equal("functions.api.events[0] has several keys (httpApi, path, method); an event has one type, with its settings indented under it", error.Message);
    }
}
