namespace Ferry.Manifest.Tests;

public sealed class ServiceManifestValidatorTests
{
    private const string Valid = """
        {
          "service": "shop",
          "provider": { "name": "ferry", "runtime": "nodejs20.x", "stage": "dev", "region": "local", "memorySize": 1024, "timeout": 6, "environment": {} },
          "functions": [
            { "name": "api", "handler": "src/api.handler", "runtime": "nodejs20.x", "memorySize": 256, "timeout": 10,
              "environment": { "A": "1" }, "routes": [ { "method": "GET", "path": "/items/{id}", "payloadFormat": "2.0" } ],
              "schedules": [ { "expression": "rate(5 minutes)", "enabled": true, "input": "{\"a\":1}" } ] },
            { "name": "site", "runtime": "web", "command": ["node", "server.js"], "memorySize": 256, "timeout": 10,
              "routes": [ { "method": "*", "path": "*" } ] }
          ],
          "params": { "a": "b" },
          "packagePatterns": ["src/**"]
        }
        """;

    private static IReadOnlyList<string> Problems(string json) =>
        [.. ServiceManifestValidator.Validate(ServiceManifestJson.Deserialize(json)).Select(d => d.Message)];

    [Fact]
    public void Valid_manifest_has_no_problems()
    {
        Assert.Empty(Problems(Valid));
    }

    [Theory]
    [InlineData("\"service\": \"shop\"", "\"service\": \"Shop!\"", "service name \"Shop!\" is invalid")]
    [InlineData("\"service\": \"shop\"", "\"service\": \"api\"", "service name \"api\" is reserved by Ferry")]
    [InlineData("\"name\": \"ferry\"", "\"name\": \"gcp\"", "provider.name must be 'aws' or 'ferry', got \"gcp\"")]
    [InlineData("\"stage\": \"dev\"", "\"stage\": \"../etc\"", "provider.stage \"../etc\" is invalid")]
    [InlineData("\"timeout\": 6", "\"timeout\": 0", "provider.timeout must be a whole number of seconds between 1 and 900, got 0")]
    [InlineData("\"memorySize\": 256, \"timeout\": 10,\n      \"environment\"", "\"memorySize\": 99999, \"timeout\": 10,\n      \"environment\"", "functions.api.memorySize must be a whole number of megabytes between 128 and 10240, got 99999")]
    [InlineData("\"name\": \"api\"", "\"name\": \"bad name\"", "functions[0] has an invalid name \"bad name\"")]
    [InlineData("\"name\": \"site\"", "\"name\": \"api\"", "function 'api' is declared more than once")]
    [InlineData("\"runtime\": \"nodejs20.x\", \"memorySize\": 256", "\"runtime\": \"dotnet8\", \"memorySize\": 256", "functions.api.runtime \"dotnet8\" is not supported")]
    [InlineData("\"handler\": \"src/api.handler\"", "\"handler\": \"../../etc/passwd.x\"", "functions.api.handler must be 'path/file.export'")]
    [InlineData("\"handler\": \"src/api.handler\", ", "", "functions.api.handler must be 'path/file.export', a relative file path without extension followed by the exported function name, got nothing (null)")]
    [InlineData("\"command\": [\"node\", \"server.js\"]", "\"command\": []", "functions.site.command must be a non-empty list")]
    [InlineData("\"method\": \"GET\"", "\"method\": \"get\"", "functions.api.routes[0].method must be an upper-case HTTP method or '*', got \"get\"")]
    [InlineData("\"path\": \"/items/{id}\"", "\"path\": \"items\"", "functions.api.routes[0].path must start with '/'")]
    [InlineData("\"payloadFormat\": \"2.0\"", "\"payloadFormat\": \"3.0\"", "functions.api.routes[0].payloadFormat must be '1.0' or '2.0', got \"3.0\"")]
    [InlineData("{ \"A\": \"1\" }", "{ \"A-B\": \"1\" }", "functions.api.environment has an invalid variable name \"A-B\"")]
    [InlineData("\"method\": \"*\", \"path\": \"*\"", "\"method\": \"GET\", \"path\": \"/items/{name}\"", "route GET /items/{name} of function 'site' is already declared by function 'api'")]
    [InlineData("\"expression\": \"rate(5 minutes)\"", "\"expression\": \"rate(5 minute)\"", "functions.api.schedules[0].expression 'rate(5 minute)' must say '5 minutes'")]
    [InlineData("\"input\": \"{\\\"a\\\":1}\"", "\"input\": \"not json\"", "functions.api.schedules[0].input must be a JSON document")]
    [InlineData("\"command\": [\"node\", \"server.js\"],", "\"command\": [\"node\", \"server.js\"], \"schedules\": [{ \"expression\": \"rate(1 day)\" }],", "functions.site is a web function; schedules need an event function")]
    public void Each_rule_is_checked(string find, string replace, string expected)
    {
        Assert.Contains(find, Valid);

        var problems = Problems(Valid.Replace(find, replace));

        Assert.True(problems.Any(p => p.StartsWith(expected, StringComparison.Ordinal)), string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void All_problems_are_reported_together()
    {
        var json = Valid.Replace("\"service\": \"shop\"", "\"service\": \"API\"").Replace("\"timeout\": 6", "\"timeout\": 1000");

        Assert.Equal(2, Problems(json).Count);
    }

    [Fact]
    public void Nulls_inside_lists_are_reported_not_thrown()
    {
        var manifest = ServiceManifestJson.Deserialize(Valid) with { Functions = [null!] };

        Assert.Equal(["functions[0] is null"], ServiceManifestValidator.Validate(manifest).Select(d => d.Message));
    }
}
