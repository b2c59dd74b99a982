using System.Text.Json;
using Ferry.Gateway.Events;
using Ferry.Gateway.Routing;
using Ferry.Manifest;
using Microsoft.AspNetCore.Http;
using static Ferry.Gateway.Tests.Events.EventTestData;

namespace Ferry.Gateway.Tests.Events;

public sealed class RestApiEventV1Tests
{
    private static readonly RouteMatch UserRoute = RouteTable
        .Build([("getUser", new HttpRoute("*", "/users/{id}", HttpRoute.PayloadV1))])
        .Match("POST", "/users/42")!;

    [Fact]
    public void Describes_the_request_with_single_and_multi_value_maps()
    {
        var request = Request("POST", "?tag=a&tag=b", contentType: "application/json");
        request.Headers.Append("X-Tag", "one");
        request.Headers.Append("X-Tag", "two");
        request.Headers.UserAgent = "curl/8.0";
        byte[] body = """{"ok":true}"""u8.ToArray();
        var address = new GatewayAddress("shop", "dev", "eu-west-1", "/users/42");

        JsonElement e = Parse(RestApiEventV1.Build(request, body, UserRoute, address, Info));

        Assert.Equal("/users/{id}", e.GetProperty("resource").GetString());
        Assert.Equal("/users/42", e.GetProperty("path").GetString());
        Assert.Equal("POST", e.GetProperty("httpMethod").GetString());
        Assert.Equal("two", e.GetProperty("headers").GetProperty("X-Tag").GetString());
        Assert.Equal(["one", "two"], e.GetProperty("multiValueHeaders").GetProperty("X-Tag").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("b", e.GetProperty("queryStringParameters").GetProperty("tag").GetString());
        Assert.Equal(["a", "b"], e.GetProperty("multiValueQueryStringParameters").GetProperty("tag").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("42", e.GetProperty("pathParameters").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, e.GetProperty("stageVariables").ValueKind);

        JsonElement context = e.GetProperty("requestContext");
        Assert.Equal("/users/{id}", context.GetProperty("resourcePath").GetString());
        Assert.Equal("POST", context.GetProperty("httpMethod").GetString());
        Assert.Equal("/shop/dev@eu-west-1/users/42", context.GetProperty("path").GetString());
        Assert.Equal("dev", context.GetProperty("stage").GetString());
        Assert.Equal("req-1", context.GetProperty("requestId").GetString());
        Assert.Equal(Time.ToUnixTimeMilliseconds(), context.GetProperty("requestTimeEpoch").GetInt64());
        Assert.Equal("10.0.0.7", context.GetProperty("identity").GetProperty("sourceIp").GetString());
        Assert.Equal("curl/8.0", context.GetProperty("identity").GetProperty("userAgent").GetString());

        Assert.Equal("""{"ok":true}""", e.GetProperty("body").GetString());
        Assert.False(e.GetProperty("isBase64Encoded").GetBoolean());
    }

    [Fact]
    public void Uses_nulls_for_absent_query_parameters_and_body()
    {
        RouteMatch match = RouteTable.Build([("f", new HttpRoute("GET", "*", HttpRoute.PayloadV1))]).Match("GET", "/users/42")!;

        JsonElement e = Parse(RestApiEventV1.Build(Request("GET"), [], match, Address, Info));

        Assert.Equal("$default", e.GetProperty("resource").GetString());
        Assert.Equal(JsonValueKind.Null, e.GetProperty("queryStringParameters").ValueKind);
        Assert.Equal(JsonValueKind.Null, e.GetProperty("multiValueQueryStringParameters").ValueKind);
        Assert.Equal(JsonValueKind.Null, e.GetProperty("pathParameters").ValueKind);
        Assert.Equal(JsonValueKind.Null, e.GetProperty("body").ValueKind);
        Assert.False(e.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal("/shop/dev/users/42", e.GetProperty("requestContext").GetProperty("path").GetString());
    }

    [Fact]
    public void Sends_a_binary_body_as_base64()
    {
        byte[] body = [1, 2, 3, 250];
        JsonElement e = Parse(RestApiEventV1.Build(Request("POST", contentType: "application/octet-stream"), body, UserRoute, Address, Info));

        Assert.True(e.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(body, e.GetProperty("body").GetBytesFromBase64());
    }
}
