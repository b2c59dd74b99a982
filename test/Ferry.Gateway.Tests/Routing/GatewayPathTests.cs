using Ferry.Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Tests.Routing;

public sealed class GatewayPathTests
{
    [Theory]
    [InlineData("/hello/dev/users/1", "hello", "dev", "local", "/users/1")]
    [InlineData("/hello/dev", "hello", "dev", "local", "/")]
    [InlineData("/hello/dev/", "hello", "dev", "local", "/")]
    [InlineData("/hello/prod@eu-west-1/a/b/", "hello", "prod", "eu-west-1", "/a/b/")]
    [InlineData("/hello/prod@local/x", "hello", "prod", "local", "/x")]
    [InlineData("/my-app2/1st/x", "my-app2", "1st", "local", "/x")]
    public void Parses_service_stage_region_and_remaining_path(string path, string service, string stage, string region, string remaining)
    {
        Assert.True(GatewayPath.TryParse(new PathString(path), out GatewayAddress? address));
        Assert.Equal(new GatewayAddress(service, stage, region, remaining), address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/hello")]
    [InlineData("/hello/")]
    [InlineData("//dev/x")]
    [InlineData("/Hello/dev")]
    [InlineData("/1hello/dev")]
    [InlineData("/hello_world/dev")]
    [InlineData("/hello/-dev")]
    [InlineData("/hello/Dev")]
    [InlineData("/hello/dev@")]
    [InlineData("/hello/dev@EU")]
    [InlineData("/hello/@eu")]
    [InlineData("/hello/dev@eu@us")]
    [InlineData("/hello/dev%2Fx/y")]
    public void Rejects_paths_without_a_valid_prefix(string path)
    {
        Assert.False(GatewayPath.TryParse(new PathString(path), out GatewayAddress? address));
        Assert.Null(address);
    }

    [Fact]
    public void Rejects_names_over_their_length_limits()
    {
        string service40 = "a" + new string('b', 39);
        string stage30 = "s" + new string('t', 29);
        Assert.True(GatewayPath.TryParse(new PathString($"/{service40}/{stage30}@{stage30}/"), out _));
        Assert.False(GatewayPath.TryParse(new PathString($"/{service40}b/dev/"), out _));
        Assert.False(GatewayPath.TryParse(new PathString($"/svc/{stage30}t/"), out _));
        Assert.False(GatewayPath.TryParse(new PathString($"/svc/dev@{stage30}t/"), out _));
    }

    [Fact]
    public void Keeps_an_encoded_slash_inside_its_segment()
    {
        // Kestrel leaves %2F encoded in Request.Path; the rest of the path is unescaped.
        Assert.True(GatewayPath.TryParse(new PathString("/svc/dev/files/a%2Fb/c"), out GatewayAddress? address));
        Assert.Equal("/files/a%2Fb/c", address.RemainingPath);
    }

    [Fact]
    public void Gives_the_remaining_path_in_escaped_form_that_round_trips_through_PathString()
    {
        Assert.True(GatewayPath.TryParse(new PathString("/svc/dev/caf\u00e9 menu/@home"), out GatewayAddress? address));
        Assert.Equal("/caf%C3%A9%20menu/@home", address.RemainingPath);
        Assert.Equal("/caf%C3%A9%20menu/@home", new PathString(address.RemainingPath).ToUriComponent());
    }

    [Theory]
    [InlineData("hello", "dev", "local", "/hello/dev")]
    [InlineData("hello", "dev", "eu-west-1", "/hello/dev@eu-west-1")]
    public void Builds_base_paths_omitting_the_default_region(string service, string stage, string region, string expected)
    {
        Assert.Equal(expected, GatewayPath.BasePath(service, stage, region));
        Assert.Equal(expected, new GatewayAddress(service, stage, region, "/").BasePath);
    }

    [Theory]
    [InlineData("Hello", "dev", "local", "service")]
    [InlineData("hello", "dev_1", "local", "stage")]
    [InlineData("hello", "dev", "", "region")]
    public void BasePath_rejects_invalid_names(string service, string stage, string region, string parameter)
    {
        var ex = Assert.Throws<ArgumentException>(() => GatewayPath.BasePath(service, stage, region));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void BasePath_and_TryParse_round_trip()
    {
        string basePath = GatewayPath.BasePath("orders", "prod", "us-east-1");
        Assert.True(GatewayPath.TryParse(new PathString(basePath + "/items"), out GatewayAddress? address));
        Assert.Equal(new GatewayAddress("orders", "prod", "us-east-1", "/items"), address);
    }
}
