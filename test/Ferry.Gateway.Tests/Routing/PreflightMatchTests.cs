using Ferry.Gateway.Routing;
using Ferry.Manifest;

namespace Ferry.Gateway.Tests.Routing;

public sealed class PreflightMatchTests
{
    private static readonly CorsSettings Cors = new() { AllowedMethods = ["DELETE", "OPTIONS"] };

    private static readonly RouteTable Table = RouteTable.Build(
    [
        ("get", new HttpRoute("GET", "/todos/{id}", HttpRoute.PayloadV1)),
        ("delete", new HttpRoute("DELETE", "/todos/{id}", HttpRoute.PayloadV1) { Cors = Cors }),
        ("plain", new HttpRoute("GET", "/plain", HttpRoute.PayloadV1)),
        ("files", new HttpRoute("GET", "/files/{path+}") { Cors = Cors }),
    ]);

    [Fact]
    public void The_route_of_the_announced_method_answers_when_it_has_cors()
    {
        Assert.Equal("delete", Table.MatchPreflight("DELETE", "/todos/1")!.Function);
    }

    [Fact]
    public void Another_route_of_the_path_with_cors_answers_when_the_announced_one_has_none()
    {
        Assert.Equal("delete", Table.MatchPreflight("GET", "/todos/1")!.Function);
        Assert.Equal("delete", Table.MatchPreflight("PATCH", "/todos/1")!.Function);
        Assert.Equal("files", Table.MatchPreflight("PUT", "/files/a/b")!.Function);
    }

    [Fact]
    public void Paths_without_cors_routes_have_no_preflight_answer()
    {
        Assert.Null(Table.MatchPreflight("GET", "/plain"));
        Assert.Null(Table.MatchPreflight("GET", "/nowhere"));
    }
}
