using Ferry.Gateway.Routing;
using Ferry.Manifest;

namespace Ferry.Gateway.Tests.Routing;

public sealed class RouteTableTests
{
    private static readonly RouteTable Table = RouteTable.Build(
    [
        ("getUser", new HttpRoute("GET", "/users/{id}")),
        ("me", new HttpRoute("GET", "/users/me")),
        ("userPosts", new HttpRoute("GET", "/users/{id}/posts")),
        ("usersAny", new HttpRoute("*", "/users/{id}")),
        ("usersGreedy", new HttpRoute("GET", "/users/{rest+}")),
        ("listUsers", new HttpRoute("GET", "/users")),
        ("createUser", new HttpRoute("POST", "/users")),
        ("files", new HttpRoute("*", "/files/{path+}")),
        ("adminFiles", new HttpRoute("GET", "/files/admin/{path+}")),
        ("root", new HttpRoute("GET", "/")),
        ("health", new HttpRoute("GET", "/health")),
        ("putOnly", new HttpRoute("PUT", "/items/{id}")),
        ("itemsGreedy", new HttpRoute("GET", "/items/{all+}")),
        ("fallback", new HttpRoute("*", "*")),
    ]);

    [Theory]
    [InlineData("GET", "/users/me", "me", "GET /users/me")] // literal beats parameter
    [InlineData("GET", "/users/42", "getUser", "GET /users/{id}")] // exact method beats ANY
    [InlineData("DELETE", "/users/42", "usersAny", "ANY /users/{id}")] // ANY answers other methods
    [InlineData("GET", "/users/42/posts", "userPosts", "GET /users/{id}/posts")] // parameter path beats greedy
    [InlineData("GET", "/users/42/likes", "usersGreedy", "GET /users/{rest+}")] // greedy when nothing more specific
    [InlineData("GET", "/users", "listUsers", "GET /users")]
    [InlineData("POST", "/users", "createUser", "POST /users")]
    [InlineData("GET", "/files/admin/x/y", "adminFiles", "GET /files/admin/{path+}")] // longer literal prefix wins
    [InlineData("POST", "/files/admin/x/y", "files", "ANY /files/{path+}")]
    [InlineData("GET", "/", "root", "GET /")]
    [InlineData("GET", "", "root", "GET /")]
    [InlineData("GET", "/health", "health", "GET /health")]
    [InlineData("GET", "/items/7", "itemsGreedy", "GET /items/{all+}")] // backtracks: /items/{id} has only PUT
    [InlineData("PUT", "/items/7", "putOnly", "PUT /items/{id}")]
    [InlineData("GET", "/nope", "fallback", "$default")] // catch-all last
    [InlineData("POST", "/", "fallback", "$default")]
    [InlineData("HEAD", "/health", "fallback", "$default")] // HEAD does not fall back to GET
    [InlineData("get", "/health", "health", "GET /health")] // methods compare case-insensitively
    public void Picks_the_most_specific_route(string method, string path, string function, string routeKey)
    {
        RouteMatch? match = Table.Match(method, path);
        Assert.NotNull(match);
        Assert.Equal(function, match.Function);
        Assert.Equal(routeKey, match.RouteKey);
    }

    [Theory]
    [InlineData("/users/", "listUsers")]
    [InlineData("/users/me/", "me")]
    [InlineData("/health/", "health")]
    public void Ignores_a_single_trailing_slash(string path, string function)
    {
        Assert.Equal(function, Table.Match("GET", path)?.Function);
    }

    [Fact]
    public void Routes_declared_with_a_trailing_slash_match_without_one()
    {
        RouteTable table = RouteTable.Build([("f", new HttpRoute("GET", "/docs/"))]);
        Assert.Equal("f", table.Match("GET", "/docs")?.Function);
        Assert.Equal("GET /docs/", table.Match("GET", "/docs/")?.RouteKey);
    }

    private static readonly RouteTable NoFallback = RouteTable.Build(
    [
        ("getUser", new HttpRoute("GET", "/users/{id}")),
        ("createUser", new HttpRoute("POST", "/users")),
        ("files", new HttpRoute("GET", "/files/{path+}")),
    ]);

    [Theory]
    [InlineData("DELETE", "/users/1", true)] // 405
    [InlineData("GET", "/users", true)] // 405
    [InlineData("POST", "/files/a/b", true)] // 405
    [InlineData("GET", "/users/1/posts", false)] // 404
    [InlineData("GET", "/files", false)] // a greedy parameter needs at least one segment
    [InlineData("GET", "/", false)]
    [InlineData("GET", "/users//", false)] // a parameter never matches an empty segment
    public void Distinguishes_unknown_paths_from_unsupported_methods(string method, string path, bool pathExists)
    {
        Assert.Null(NoFallback.Match(method, path));
        Assert.Equal(pathExists, NoFallback.PathExists(path));
    }

    [Fact]
    public void A_catch_all_route_makes_every_path_exist()
    {
        RouteTable table = RouteTable.Build([("f", new HttpRoute("GET", "*"))]);
        Assert.Equal("GET *", table.Match("GET", "/anything/at/all")?.RouteKey);
        Assert.Null(table.Match("POST", "/x"));
        Assert.True(table.PathExists("/x"));
    }

    [Fact]
    public void Decodes_path_parameters()
    {
        RouteMatch? match = Table.Match("GET", "/users/j%C3%B6rg%20m%2Fx");
        Assert.Equal("getUser", match?.Function);
        Assert.Equal("j\u00f6rg m/x", match!.PathParameters["id"]);
    }

    [Fact]
    public void Decodes_segments_before_comparing_them_with_literals()
    {
        RouteTable table = RouteTable.Build([("f", new HttpRoute("GET", "/caf\u00e9/menu"))]);
        Assert.Equal("f", table.Match("GET", "/caf%C3%A9/menu")?.Function);
    }

    [Fact]
    public void Greedy_parameter_captures_the_rest_of_the_path()
    {
        RouteMatch? match = Table.Match("PUT", "/files/a/b%20c/d.txt");
        Assert.Equal("files", match?.Function);
        Assert.Equal(new Dictionary<string, string> { ["path"] = "a/b c/d.txt" }, match!.PathParameters);
    }

    [Fact]
    public void Captures_every_parameter_of_a_route()
    {
        RouteTable table = RouteTable.Build([("f", new HttpRoute("GET", "/orgs/{org}/repos/{repo}/{file+}"))]);
        RouteMatch? match = table.Match("GET", "/orgs/acme/repos/ferry/src/main.cs");
        Assert.Equal(
            new Dictionary<string, string> { ["org"] = "acme", ["repo"] = "ferry", ["file"] = "src/main.cs" },
            match?.PathParameters);
    }

    [Fact]
    public void Routes_without_parameters_have_empty_parameters()
    {
        Assert.Empty(Table.Match("GET", "/health")!.PathParameters);
        Assert.Empty(Table.Match("GET", "/nothing-here")!.PathParameters);
    }

    [Fact]
    public void Exposes_the_declared_route()
    {
        var route = new HttpRoute("POST", "/users", HttpRoute.PayloadV1);
        RouteTable table = RouteTable.Build([("create", route)]);
        Assert.Same(route, table.Match("POST", "/users")?.Route);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Empty_table_matches_nothing()
    {
        Assert.Null(RouteTable.Empty.Match("GET", "/"));
        Assert.False(RouteTable.Empty.PathExists("/"));
    }

    [Fact]
    public void Many_segments_are_matched_beyond_the_stack_buffer()
    {
        string path = string.Concat(Enumerable.Repeat("/x", 100));
        RouteTable table = RouteTable.Build([("deep", new HttpRoute("GET", "/x/{rest+}"))]);
        Assert.Equal(string.Join('/', Enumerable.Repeat("x", 99)), table.Match("GET", path)?.PathParameters["rest"]);
    }

    [Theory]
    [InlineData("GET", "/users/{name}", "GET /users/{id}")] // same shape, different parameter name
    [InlineData("GET", "/users/{id}/", "GET /users/{id}")]
    [InlineData("ANY", "/users/{id}", "ANY /users/{id}")]
    public void Rejects_routes_that_match_the_same_requests(string method, string path, string existingKey)
    {
        var ex = Assert.Throws<ArgumentException>(() => RouteTable.Build(
        [
            ("a", new HttpRoute("GET", "/users/{id}")),
            ("a2", new HttpRoute("*", "/users/{id}")),
            ("b", new HttpRoute(method, path)),
        ]));
        Assert.Contains($"conflicts with route '{existingKey}' of function", ex.Message);
    }

    [Theory]
    [InlineData("GET", "users", "must start with '/'")]
    [InlineData("GET", "/a//b", "empty segment")]
    [InlineData("GET", "/a/{rest+}/b", "must be the last segment")]
    [InlineData("GET", "/a/x{id}", "mixes literal text and a parameter")]
    [InlineData("GET", "/a/{}", "is not a valid parameter")]
    [InlineData("GET", "/a/{id}/{id}", "more than once")]
    [InlineData("G T", "/a", "is not valid")]
    public void Rejects_invalid_routes_with_a_message_naming_the_function(string method, string path, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => RouteTable.Build([("broken", new HttpRoute(method, path))]));
        Assert.Contains("Function 'broken'", ex.Message);
        Assert.Contains(reason, ex.Message);
    }
}
