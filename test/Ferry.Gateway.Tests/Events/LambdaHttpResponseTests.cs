using System.Text;
using Ferry.Gateway.Events;
using Ferry.Manifest;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Tests.Events;

public sealed class LambdaHttpResponseTests
{
    private const string BadGatewayBody = """{"message":"Internal server error"}""";

    private static HttpResult Parse(string json, string format = HttpRoute.PayloadV2) =>
        LambdaHttpResponse.Parse(Encoding.UTF8.GetBytes(json), format);

    private static string BodyText(HttpResult result) => Encoding.UTF8.GetString(result.Body);

    private static string[] HeaderValues(HttpResult result, string name) =>
        result.Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();

    [Fact]
    public void V2_structured_response_with_headers_and_cookies()
    {
        HttpResult result = Parse("""
            {
              "statusCode": 201,
              "headers": { "Content-Type": "text/plain", "X-Count": 3, "X-Flag": true },
              "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
              "body": "created",
              "isBase64Encoded": false
            }
            """);

        Assert.Equal(201, result.StatusCode);
        Assert.Equal(["text/plain"], HeaderValues(result, "content-type"));
        Assert.Equal(["3"], HeaderValues(result, "x-count"));
        Assert.Equal(["true"], HeaderValues(result, "x-flag"));
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly"], HeaderValues(result, "set-cookie"));
        Assert.Equal("created", BodyText(result));
    }

    [Fact]
    public void V2_base64_body_is_decoded()
    {
        HttpResult result = Parse("""{"statusCode":200,"body":"AAH/","isBase64Encoded":true}""");

        Assert.Equal(200, result.StatusCode);
        Assert.Equal(new byte[] { 0, 1, 255 }, result.Body);
    }

    [Fact]
    public void V2_status_code_alone_gives_an_empty_body()
    {
        HttpResult result = Parse("""{"statusCode":"204"}""");

        Assert.Equal(204, result.StatusCode);
        Assert.Empty(result.Body);
        Assert.Empty(result.Headers);
    }

    [Theory]
    [InlineData("\"hello\"", "\"hello\"")]
    [InlineData("42", "42")]
    [InlineData("  {\"message\": \"hi\"}\n", "{\"message\": \"hi\"}")]
    [InlineData("null", "null")]
    [InlineData("[1,2]", "[1,2]")]
    [InlineData("{\"body\":\"x\",\"headers\":{}}", "{\"body\":\"x\",\"headers\":{}}")]
    public void V2_result_without_statusCode_is_returned_as_JSON(string json, string expectedBody)
    {
        HttpResult result = Parse(json);

        Assert.Equal(200, result.StatusCode);
        Assert.Equal(["application/json"], HeaderValues(result, "content-type"));
        Assert.Equal(expectedBody, BodyText(result));
    }

    [Fact]
    public void V2_ignores_multiValueHeaders()
    {
        HttpResult result = Parse("""{"statusCode":200,"multiValueHeaders":{"X-A":["1","2"]}}""");
        Assert.Empty(HeaderValues(result, "x-a"));
    }

    [Fact]
    public void V1_merges_headers_and_multiValueHeaders()
    {
        HttpResult result = Parse("""
            {
              "statusCode": 200,
              "headers": { "X-Single": "s", "X-Both": "from-headers" },
              "multiValueHeaders": { "X-Both": ["m1", "m2"], "Set-Cookie": ["a=1", "b=2"] },
              "body": "{\"ok\":true}"
            }
            """, HttpRoute.PayloadV1);

        Assert.Equal(200, result.StatusCode);
        Assert.Equal(["s"], HeaderValues(result, "x-single"));
        Assert.Equal(["m1", "m2"], HeaderValues(result, "x-both"));
        Assert.Equal(["a=1", "b=2"], HeaderValues(result, "set-cookie"));
        Assert.Equal("""{"ok":true}""", BodyText(result));
    }

    [Fact]
    public void V1_ignores_cookies()
    {
        HttpResult result = Parse("""{"statusCode":200,"cookies":["a=1"]}""", HttpRoute.PayloadV1);
        Assert.Empty(HeaderValues(result, "set-cookie"));
    }

    [Fact]
    public void V1_base64_body_is_decoded()
    {
        HttpResult result = Parse("""{"statusCode":200,"body":"aGk=","isBase64Encoded":true}""", HttpRoute.PayloadV1);
        Assert.Equal("hi", BodyText(result));
    }

    [Theory]
    [InlineData("{\"body\":\"x\"}")]
    [InlineData("\"hello\"")]
    [InlineData("null")]
    public void V1_without_statusCode_is_a_bad_gateway(string json)
    {
        AssertBadGateway(Parse(json, HttpRoute.PayloadV1));
        Assert.False(LambdaHttpResponse.TryParse(Encoding.UTF8.GetBytes(json), HttpRoute.PayloadV1, out _, out string? problem));
        Assert.Contains("no statusCode", problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("hello")]
    [InlineData("{\"statusCode\":200,}")]
    public void Invalid_JSON_is_a_bad_gateway(string json)
    {
        AssertBadGateway(Parse(json, HttpRoute.PayloadV2));
        AssertBadGateway(Parse(json, HttpRoute.PayloadV1));
    }

    [Theory]
    [InlineData("{\"statusCode\":99}", "not an HTTP status code")]
    [InlineData("{\"statusCode\":\"OK\"}", "not an HTTP status code")]
    [InlineData("{\"statusCode\":200.5}", "not an HTTP status code")]
    [InlineData("{\"statusCode\":200,\"body\":\"@@@\",\"isBase64Encoded\":true}", "not valid base64")]
    [InlineData("{\"statusCode\":200,\"headers\":[]}", "headers must be an object")]
    [InlineData("{\"statusCode\":200,\"headers\":{\"X-A\":{}}}", "must be a string, number or boolean")]
    [InlineData("{\"statusCode\":200,\"headers\":{\"Bad Name\":\"v\"}}", "not a valid HTTP header name")]
    [InlineData("{\"statusCode\":200,\"headers\":{\"X-A\":\"a\\r\\nInjected: yes\"}}", "control or non-ASCII")]
    [InlineData("{\"statusCode\":200,\"cookies\":\"a=1\"}", "cookies must be an array")]
    public void Malformed_structured_responses_are_a_bad_gateway_with_a_reason(string json, string reason)
    {
        Assert.False(LambdaHttpResponse.TryParse(Encoding.UTF8.GetBytes(json), HttpRoute.PayloadV2, out HttpResult? result, out string? problem));
        Assert.Null(result);
        Assert.Contains(reason, problem);
        AssertBadGateway(Parse(json));
    }

    [Fact]
    public void Non_string_body_is_passed_through_as_JSON_text()
    {
        HttpResult result = Parse("""{"statusCode":200,"body":{"a":1}}""");
        Assert.Equal("""{"a":1}""", BodyText(result));
    }

    [Fact]
    public void Unknown_payload_format_is_a_caller_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => LambdaHttpResponse.Parse("{}"u8.ToArray(), "3.0"));
        Assert.Contains("'3.0'", ex.Message);
    }

    [Fact]
    public async Task WriteAsync_writes_status_headers_and_body_without_hop_by_hop_headers()
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        var result = new HttpResult(
            201,
            [
                new("Content-Type", "text/plain"),
                new("Set-Cookie", "a=1"),
                new("Set-Cookie", "b=2"),
                new("Connection", "close"),
                new("Transfer-Encoding", "chunked"),
                new("Keep-Alive", "timeout=5"),
                new("Upgrade", "websocket"),
                new("Content-Length", "999"),
            ],
            "hello"u8.ToArray());

        await LambdaHttpResponse.WriteAsync(context.Response, result, CancellationToken.None);

        Assert.Equal(201, context.Response.StatusCode);
        Assert.Equal("text/plain", context.Response.ContentType);
        Assert.Equal(2, context.Response.Headers.SetCookie.Count);
        Assert.Equal("a=1,b=2", context.Response.Headers.SetCookie.ToString());
        Assert.False(context.Response.Headers.ContainsKey("Connection"));
        Assert.False(context.Response.Headers.ContainsKey("Transfer-Encoding"));
        Assert.False(context.Response.Headers.ContainsKey("Keep-Alive"));
        Assert.False(context.Response.Headers.ContainsKey("Upgrade"));
        Assert.Equal(5, context.Response.ContentLength);
        Assert.Equal("hello", Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task WriteAsync_sends_no_body_for_204_or_HEAD()
    {
        var noContent = new DefaultHttpContext();
        noContent.Response.Body = new MemoryStream();
        await LambdaHttpResponse.WriteAsync(noContent.Response, new HttpResult(204, [], "x"u8.ToArray()), CancellationToken.None);
        Assert.Equal(0, noContent.Response.Body.Length);
        Assert.Null(noContent.Response.ContentLength);

        var head = new DefaultHttpContext();
        head.Request.Method = HttpMethods.Head;
        head.Response.Body = new MemoryStream();
        await LambdaHttpResponse.WriteAsync(head.Response, new HttpResult(200, [], "hello"u8.ToArray()), CancellationToken.None);
        Assert.Equal(0, head.Response.Body.Length);
        Assert.Equal(5, head.Response.ContentLength);
    }

    [Fact]
    public async Task WriteAsync_writes_the_bad_gateway_result()
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;

        await LambdaHttpResponse.WriteAsync(context.Response, Parse("not json"), CancellationToken.None);

        Assert.Equal(502, context.Response.StatusCode);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal(BadGatewayBody, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static void AssertBadGateway(HttpResult result)
    {
        Assert.Equal(502, result.StatusCode);
        Assert.Equal(["application/json"], HeaderValues(result, "content-type"));
        Assert.Equal(BadGatewayBody, BodyText(result));
    }
}
