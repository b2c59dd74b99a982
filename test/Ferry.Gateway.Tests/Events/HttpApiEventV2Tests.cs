using System.Text.Json;
using Ferry.Gateway.Events;
using Ferry.Gateway.Routing;
using Ferry.Manifest;
using Microsoft.AspNetCore.Http;
using static Ferry.Gateway.Tests.Events.EventTestData;

namespace Ferry.Gateway.Tests.Events;

public sealed class HttpApiEventV2Tests
{
    private static readonly RouteMatch UserRoute = RouteTable
        .Build([("getUser", new HttpRoute("GET", "/users/{id}")), ("upload", new HttpRoute("POST", "/users/{id}"))])
        .Match("GET", "/users/42")!;

    [Fact]
    public void Describes_a_GET_with_query_cookies_and_repeated_headers()
    {
        var request = Request("GET", "?tag=a&tag=b&q=hello%20world");
        request.Headers.Append("Accept", "text/html");
        request.Headers.Append("Accept", "application/json");
        request.Headers.Append("X-Trace", "t-1");
        request.Headers.UserAgent = "curl/8.0";
        request.Headers.Cookie = "session=abc; theme=dark;";

        JsonElement e = Parse(HttpApiEventV2.Build(request, [], UserRoute, Address, Info));

        Assert.Equal("2.0", e.GetProperty("version").GetString());
        Assert.Equal("GET /users/{id}", e.GetProperty("routeKey").GetString());
        Assert.Equal("/users/42", e.GetProperty("rawPath").GetString());
        Assert.Equal("tag=a&tag=b&q=hello%20world", e.GetProperty("rawQueryString").GetString());
        Assert.Equal(["session=abc", "theme=dark"], e.GetProperty("cookies").EnumerateArray().Select(c => c.GetString()));

        JsonElement headers = e.GetProperty("headers");
        Assert.Equal("text/html,application/json", headers.GetProperty("accept").GetString());
        Assert.Equal("t-1", headers.GetProperty("x-trace").GetString());
        Assert.Equal("curl/8.0", headers.GetProperty("user-agent").GetString());
        Assert.False(headers.TryGetProperty("cookie", out _));
        Assert.False(headers.TryGetProperty("Accept", out _));

        JsonElement query = e.GetProperty("queryStringParameters");
        Assert.Equal("a,b", query.GetProperty("tag").GetString());
        Assert.Equal("hello world", query.GetProperty("q").GetString());
        Assert.Equal("42", e.GetProperty("pathParameters").GetProperty("id").GetString());
        Assert.False(e.TryGetProperty("stageVariables", out _));

        JsonElement context = e.GetProperty("requestContext");
        Assert.Equal("000000000000", context.GetProperty("accountId").GetString());
        Assert.Equal("shop", context.GetProperty("apiId").GetString());
        Assert.Equal("api.example.com:8080", context.GetProperty("domainName").GetString());
        Assert.Equal("api", context.GetProperty("domainPrefix").GetString());
        Assert.Equal("req-1", context.GetProperty("requestId").GetString());
        Assert.Equal("GET /users/{id}", context.GetProperty("routeKey").GetString());
        Assert.Equal("dev", context.GetProperty("stage").GetString());
        Assert.Equal("05/Mar/2024:07:08:09 +0000", context.GetProperty("time").GetString());
        Assert.Equal(Time.ToUnixTimeMilliseconds(), context.GetProperty("timeEpoch").GetInt64());

        JsonElement http = context.GetProperty("http");
        Assert.Equal("GET", http.GetProperty("method").GetString());
        Assert.Equal("/users/42", http.GetProperty("path").GetString());
        Assert.Equal("HTTP/1.1", http.GetProperty("protocol").GetString());
        Assert.Equal("10.0.0.7", http.GetProperty("sourceIp").GetString());
        Assert.Equal("curl/8.0", http.GetProperty("userAgent").GetString());

        Assert.False(e.TryGetProperty("body", out _));
        Assert.False(e.GetProperty("isBase64Encoded").GetBoolean());
    }

    [Fact]
    public void Leaves_out_empty_cookies_query_and_path_parameters()
    {
        RouteMatch match = RouteTable.Build([("f", new HttpRoute("GET", "/users/42"))]).Match("GET", "/users/42")!;

        JsonElement e = Parse(HttpApiEventV2.Build(Request("GET"), [], match, Address, Info));

        Assert.Equal("", e.GetProperty("rawQueryString").GetString());
        Assert.False(e.TryGetProperty("cookies", out _));
        Assert.False(e.TryGetProperty("queryStringParameters", out _));
        Assert.False(e.TryGetProperty("pathParameters", out _));
        Assert.Equal("", e.GetProperty("requestContext").GetProperty("http").GetProperty("userAgent").GetString());
    }

    [Fact]
    public void Sends_a_binary_POST_body_as_base64()
    {
        byte[] body = [0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF];
        var request = Request("POST", contentType: "image/png");

        JsonElement e = Parse(HttpApiEventV2.Build(request, body, UserRoute, Address, Info));

        Assert.True(e.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(body, Convert.FromBase64String(e.GetProperty("body").GetString()!));
        Assert.Equal("image/png", e.GetProperty("headers").GetProperty("content-type").GetString());
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.api+json")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public void Sends_a_text_body_as_a_string(string? contentType)
    {
        const string text = """{"name":"J\u00f6rg <admin>"}""";
        var request = Request("POST", contentType: contentType);

        JsonElement e = Parse(HttpApiEventV2.Build(request, System.Text.Encoding.UTF8.GetBytes(text), UserRoute, Address, Info));

        Assert.False(e.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(text, e.GetProperty("body").GetString());
    }

    [Fact]
    public void Sends_a_text_content_type_with_invalid_UTF8_as_base64()
    {
        byte[] body = [0x68, 0x69, 0xC3];
        JsonElement e = Parse(HttpApiEventV2.Build(Request("POST", contentType: "text/plain"), body, UserRoute, Address, Info));

        Assert.True(e.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(body, e.GetProperty("body").GetBytesFromBase64());
    }
}
