using Ferry.Gateway.Forwarding;
using Ferry.Manifest;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Gateway.Tests.Forwarding;

public sealed class CorsResponderTests
{
    private static DefaultHttpContext Preflight(string origin, string method = "PUT", string? headers = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "OPTIONS";
        context.Request.Headers.Origin = origin;
        context.Request.Headers.AccessControlRequestMethod = method;
        if (headers is not null)
        {
            context.Request.Headers.AccessControlRequestHeaders = headers;
        }

        return context;
    }

    [Fact]
    public void A_preflight_needs_options_an_origin_and_a_requested_method()
    {
        Assert.True(CorsResponder.IsPreflight(Preflight("https://a.example").Request, out var method));
        Assert.Equal("PUT", method);

        var noOrigin = new DefaultHttpContext();
        noOrigin.Request.Method = "OPTIONS";
        noOrigin.Request.Headers.AccessControlRequestMethod = "PUT";
        Assert.False(CorsResponder.IsPreflight(noOrigin.Request, out _));

        var plainOptions = new DefaultHttpContext();
        plainOptions.Request.Method = "OPTIONS";
        plainOptions.Request.Headers.Origin = "https://a.example";
        Assert.False(CorsResponder.IsPreflight(plainOptions.Request, out _));
    }

    [Fact]
    public async Task An_http_api_preflight_is_204_with_the_configured_headers()
    {
        var context = Preflight("https://a.example");
        var route = new HttpRoute("PUT", "/x") { Cors = new CorsSettings { AllowedMethods = ["GET", "OPTIONS", "PUT"], MaxAge = 300 } };

        await CorsResponder.WritePreflightAsync(context, route);

        var headers = context.Response.Headers;
        Assert.Equal(204, context.Response.StatusCode);
        Assert.Equal("*", headers.AccessControlAllowOrigin);
        Assert.Equal("GET,OPTIONS,PUT", headers.AccessControlAllowMethods);
        Assert.Equal(string.Join(',', CorsSettings.DefaultHeaders), headers.AccessControlAllowHeaders);
        Assert.Equal("300", headers.AccessControlMaxAge);
        Assert.False(headers.ContainsKey("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task An_http_api_preflight_echoes_a_listed_origin_and_sends_no_cors_headers_to_others()
    {
        var cors = new CorsSettings { AllowedOrigins = ["https://*.example.org"], AllowedMethods = ["PUT"], AllowCredentials = true };
        var route = new HttpRoute("PUT", "/x") { Cors = cors };

        var allowed = Preflight("https://app.example.org");
        await CorsResponder.WritePreflightAsync(allowed, route);
        Assert.Equal("https://app.example.org", allowed.Response.Headers.AccessControlAllowOrigin);
        Assert.Equal("true", allowed.Response.Headers.AccessControlAllowCredentials);
        Assert.Equal("Origin", allowed.Response.Headers.Vary);

        var refused = Preflight("https://evil.example.com");
        await CorsResponder.WritePreflightAsync(refused, route);
        Assert.Equal(204, refused.Response.StatusCode);
        Assert.DoesNotContain(refused.Response.Headers.Keys, key => key.StartsWith("Access-Control-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rest_api_preflight_is_the_options_mock_with_its_origin_methods_and_cache_control()
    {
        var cors = new CorsSettings
        {
            AllowedOrigins = ["https://a.example", "https://b.example"], AllowedHeaders = ["Content-Type"], AllowedMethods = ["*"],
            CacheControl = "max-age=600",
        };
        var route = new HttpRoute("*", "/x", HttpRoute.PayloadV1) { Cors = cors };

        var listed = Preflight("https://b.example");
        await CorsResponder.WritePreflightAsync(listed, route);
        Assert.Equal(200, listed.Response.StatusCode);
        Assert.Equal("https://b.example", listed.Response.Headers.AccessControlAllowOrigin);
        Assert.Equal("Content-Type", listed.Response.Headers.AccessControlAllowHeaders);
        Assert.Equal("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT", listed.Response.Headers.AccessControlAllowMethods);
        Assert.Equal("max-age=600", listed.Response.Headers.CacheControl);

        var other = Preflight("https://c.example");
        await CorsResponder.WritePreflightAsync(other, route);
        Assert.Equal("https://a.example", other.Response.Headers.AccessControlAllowOrigin);
    }

    [Fact]
    public async Task Http_api_responses_get_the_configured_headers_instead_of_the_functions_own()
    {
        var context = new DefaultHttpContext();
        var response = new StartableResponseFeature();
        context.Features.Set<IHttpResponseFeature>(response);
        context.Request.Headers.Origin = "https://a.example";
        var cors = new CorsSettings { AllowedOrigins = ["https://a.example"], ExposedHeaders = ["X-Total"], AllowCredentials = true };

        CorsResponder.ApplyToResponse(context, cors);
        context.Response.Headers.AccessControlAllowOrigin = "*";
        context.Response.Headers.AccessControlAllowMethods = "GET";
        context.Response.Headers["X-Other"] = "kept";
        await response.StartAsync();

        var headers = context.Response.Headers;
        Assert.Equal("https://a.example", headers.AccessControlAllowOrigin);
        Assert.Equal("true", headers.AccessControlAllowCredentials);
        Assert.Equal("X-Total", headers.AccessControlExposeHeaders);
        Assert.False(headers.ContainsKey("Access-Control-Allow-Methods"));
        Assert.Equal("kept", headers["X-Other"]);
    }

    [Theory]
    [InlineData("*", "https://x.test", true)]
    [InlineData("https://a.example", "https://A.example", true)]
    [InlineData("https://a.example/", "https://a.example", true)]
    [InlineData("https://a.example", "https://a.example.evil", false)]
    [InlineData("https://*.example.com", "https://app.example.com", true)]
    [InlineData("https://*.example.com", "https://example.com", false)]
    [InlineData("https://*.example.com", "http://app.example.com", false)]
    public void Origins_match_exactly_or_by_a_wildcard(string allowed, string origin, bool matches)
    {
        Assert.Equal(matches, CorsResponder.OriginMatches(allowed, origin));
    }

    /// <summary>A response feature that runs its OnStarting callbacks when the test starts the response.</summary>
    private sealed class StartableResponseFeature : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _starting = [];

        public override void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));

        public async Task StartAsync()
        {
            foreach (var (callback, state) in Enumerable.Reverse(_starting))
            {
                await callback(state);
            }
        }
    }
}
