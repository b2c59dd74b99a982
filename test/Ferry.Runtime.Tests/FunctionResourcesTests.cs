using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Tests;

public sealed class FunctionResourcesTests
{
    private static readonly FunctionResources Resources = new()
    {
        Environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = "http://${ferry:s3:host}:${ferry:s3:port}",
            ["PGHOST"] = "${ferry:postgres:host}",
            ["PGPORT"] = "${ferry:postgres:port}",
            ["PLAIN"] = "no placeholder here",
        },
        Services =
        [
            new ResourceService("s3", 9100, "/run/s3.sock", "127.0.0.1", 41234),
            new ResourceService("postgres", 5432, "/run/pg/.s.PGSQL.5432", "db.internal", 6543),
        ],
    };

    [Fact]
    public void Inside_a_private_network_services_are_their_bridges_on_loopback()
    {
        var environment = Resources.ResolveEnvironment(privateNetwork: true);
        Assert.Equal("http://127.0.0.1:9100", environment["AWS_ENDPOINT_URL_S3"]);
        Assert.Equal("127.0.0.1", environment["PGHOST"]);
        Assert.Equal("5432", environment["PGPORT"]);
        Assert.Equal("no placeholder here", environment["PLAIN"]);
        Assert.Equal([new HostServiceBridge(9100, "/run/s3.sock"), new HostServiceBridge(5432, "/run/pg/.s.PGSQL.5432")], Resources.Bridges());
    }

    [Fact]
    public void On_the_host_network_services_are_their_own_tcp_addresses()
    {
        var environment = Resources.ResolveEnvironment(privateNetwork: false);
        Assert.Equal("http://127.0.0.1:41234", environment["AWS_ENDPOINT_URL_S3"]);
        Assert.Equal("db.internal", environment["PGHOST"]);
        Assert.Equal("6543", environment["PGPORT"]);
    }

    [Fact]
    public void A_functions_own_value_such_as_a_queue_url_has_its_known_placeholders_resolved()
    {
        const string QueueUrl = "http://${ferry:s3:host}:${ferry:s3:port}/000000000000/jobs";
        Assert.Equal("http://127.0.0.1:9100/000000000000/jobs", Resources.ResolveValue(QueueUrl, privateNetwork: true));
        Assert.Equal("http://127.0.0.1:41234/000000000000/jobs", Resources.ResolveValue(QueueUrl, privateNetwork: false));
        // A value naming a service the app has none of stays as written (it is the function's own text).
        Assert.Equal(QueueUrl, FunctionResources.None.ResolveValue(QueueUrl, privateNetwork: true));
    }

    [Fact]
    public void A_placeholder_for_an_unknown_service_is_an_error_naming_the_variable()
    {
        var resources = new FunctionResources { Environment = new Dictionary<string, string> { ["X"] = "${ferry:redis:host}" } };
        var error = Assert.Throws<InvalidOperationException>(() => resources.ResolveEnvironment(privateNetwork: true));
        Assert.Contains("X", error.Message);
        Assert.Contains("redis", error.Message);
    }

    [Fact]
    public void An_environment_reference_takes_the_resources_variable_resolved_for_the_instance()
    {
        var resources = Resources with
        {
            Environment = new Dictionary<string, string>(Resources.Environment)
            {
                ["FERRY_DATABASE_SHOP_DB_URL"] = "postgres://owner:secret@${ferry:postgres:host}:${ferry:postgres:port}/shop",
            },
        };

        const string Value = "${ferry:env:FERRY_DATABASE_SHOP_DB_URL}";
        Assert.Equal("postgres://owner:secret@127.0.0.1:5432/shop", resources.ResolveValue(Value, privateNetwork: true));
        Assert.Equal("url=postgres://owner:secret@db.internal:6543/shop;", resources.ResolveValue("url=" + Value + ";", privateNetwork: false));
        Assert.Empty(resources.UnknownVariables(Value));
    }

    [Fact]
    public void An_environment_reference_no_resource_provides_is_named_and_left_as_written()
    {
        const string Value = "${ferry:env:FERRY_DATABASE_GONE_URL} and ${ferry:env:PLAIN}";
        Assert.Equal(["FERRY_DATABASE_GONE_URL"], Resources.UnknownVariables(Value));
        Assert.Equal("${ferry:env:FERRY_DATABASE_GONE_URL} and no placeholder here", Resources.ResolveValue(Value, privateNetwork: true));
    }
}
