using Ferry.Gateway.Routing;
using Ferry.Manifest;

namespace Ferry.Gateway.Tests.Routing;

public sealed class HostRouteTableTests
{
    private static DomainBinding Bind(string host, string basePath = "", string service = "shop", string stage = "prod", string tenant = "acme")
        => new(host, basePath, tenant, service, stage, "local");

    private static readonly HostRouteTable Table = HostRouteTable.Build(
    [
        Bind("api.example.com"),
        Bind("api.example.com", "/v2", service: "shop-v2"),
        Bind("api.example.com", "/v2/admin", service: "admin"),
        Bind("*.apps.example.com", service: "tenant-sites"),
        Bind("docs.apps.example.com", service: "docs"),
    ]);

    [Theory]
    [InlineData("api.example.com", "/", "shop", "/")]
    [InlineData("api.example.com", "/users/42", "shop", "/users/42")]
    [InlineData("API.Example.COM", "/users", "shop", "/users")]
    [InlineData("api.example.com.", "/users", "shop", "/users")]
    [InlineData("api.example.com", "/v2", "shop-v2", "/")]
    [InlineData("api.example.com", "/v2/", "shop-v2", "/")]
    [InlineData("api.example.com", "/v2/users", "shop-v2", "/users")]
    [InlineData("api.example.com", "/v20/users", "shop", "/v20/users")]
    [InlineData("api.example.com", "/v2/admin/x", "admin", "/x")]
    [InlineData("api.example.com", "/v2/administrator", "shop-v2", "/administrator")]
    [InlineData("api.example.com", "/a%2Fb", "shop", "/a%2Fb")]
    [InlineData("blue.apps.example.com", "/", "tenant-sites", "/")]
    [InlineData("docs.apps.example.com", "/guide", "docs", "/guide")]
    public void A_bound_host_routes_to_its_app_with_the_path_after_the_longest_base_path(string host, string path, string service, string remaining)
    {
        var match = Table.Match(host, path);

        Assert.NotNull(match);
        Assert.Equal(service, match.Binding.Service);
        Assert.Equal(remaining, match.RemainingPath);
        Assert.Equal(new GatewayAddress(service, "prod", "local", remaining) { DomainBasePath = match.Binding.BasePath }, match.ToAddress());
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("apps.example.com")]
    [InlineData("a.b.apps.example.com")]
    [InlineData("api.example.com.evil.test")]
    [InlineData("")]
    public void Other_hosts_are_not_bound(string host)
    {
        Assert.False(Table.IsBound(host));
        Assert.Null(Table.Match(host, "/"));
    }

    [Fact]
    public void A_bound_host_whose_base_paths_do_not_prefix_the_path_matches_nothing()
    {
        var table = HostRouteTable.Build([Bind("api.example.com", "/v1")]);

        Assert.True(table.IsBound("api.example.com"));
        Assert.Null(table.Match("api.example.com", "/v2/users"));
        Assert.Null(table.Match("api.example.com", "/"));
        Assert.Equal("/users", table.Match("api.example.com", "/v1/users")!.RemainingPath);
    }

    [Fact]
    public void The_address_of_a_domain_request_has_the_base_path_as_its_public_prefix()
    {
        var root = Table.Match("api.example.com", "/users")!.ToAddress();
        var v2 = Table.Match("api.example.com", "/v2/users")!.ToAddress();

        Assert.Equal("", root.PublicPrefix);
        Assert.Equal("/v2", v2.PublicPrefix);
        Assert.Equal("/shop/dev", new GatewayAddress("shop", "dev", "local", "/users").PublicPrefix);
    }

    [Fact]
    public void Building_refuses_invalid_hosts_unnormalized_base_paths_and_duplicates()
    {
        Assert.Throws<ArgumentException>(() => HostRouteTable.Build([Bind("API.example.com")]));
        Assert.Throws<ArgumentException>(() => HostRouteTable.Build([Bind("api.example.com", "/v1/")]));
        Assert.Throws<ArgumentException>(() => HostRouteTable.Build([Bind("api.example.com"), Bind("api.example.com", service: "other")]));
        Assert.Equal(0, HostRouteTable.Empty.Count);
        Assert.Equal(5, Table.Count);
    }

    [Theory]
    [InlineData("api.example.com", null)]
    [InlineData("*.example.com", null)]
    [InlineData("a-b.c-d.example", null)]
    [InlineData("xn--bcher-kva.example", null)]
    [InlineData("Api.example.com", "must be lower case")]
    [InlineData("localhost", "at least two labels")]
    [InlineData("10.0.0.1", "IP address")]
    [InlineData("-api.example.com", "starts or ends with '-'")]
    [InlineData("api..example.com", "label of 0 characters")]
    [InlineData("api_x.example.com", "only letters, digits and '-'")]
    [InlineData("a.*.example.com", "'*' only as its whole first label")]
    [InlineData("*example.com", "'*' only as its whole first label")]
    [InlineData("api.example.com:443", "only letters, digits and '-'")]
    [InlineData("../../etc/passwd", "label of 0 characters")]
    [InlineData("", "is empty")]
    public void Host_names_follow_RFC_1123_in_lower_case(string host, string? problem)
    {
        var found = DomainNameRules.FindProblem(host);
        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found);
        }
    }

    [Fact]
    public void Host_names_are_at_most_253_characters_with_labels_of_at_most_63()
    {
        var label63 = new string('a', 63);
        Assert.Null(DomainNameRules.FindProblem($"{label63}.example.com"));
        Assert.Contains("labels are 1-63", DomainNameRules.FindProblem($"{label63}a.example.com"));
        var longName = string.Join('.', Enumerable.Repeat(label63, 4));
        Assert.Contains("longer than 253", DomainNameRules.FindProblem(longName));
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("/", "")]
    [InlineData("(none)", "")]
    [InlineData("v1", "/v1")]
    [InlineData("/v1/", "/v1")]
    [InlineData("/api/v1", "/api/v1")]
    [InlineData("/a//b", null)]
    [InlineData("/../x", null)]
    [InlineData("/a b", null)]
    public void Base_paths_have_one_spelling(string? basePath, string? normalized)
    {
        Assert.Equal(normalized, DomainNameRules.NormalizeBasePath(basePath));
    }

    [Theory]
    [InlineData("a.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("a.example.com", "*.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "*.a.example.com", false)]
    [InlineData("a.example.com", "b.example.com", false)]
    public void Hosts_overlap_when_one_request_could_reach_both(string a, string b, bool overlap)
    {
        Assert.Equal(overlap, DomainNameRules.Overlaps(a, b));
    }
}
