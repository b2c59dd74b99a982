using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

// The Lambda Runtime API loop, written against the documented protocol only.
var api = $"http://{Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")}/2018-06-01/runtime";
using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
while (true)
{
    using var next = await http.GetAsync($"{api}/invocation/next");
    var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").First();
    var input = JsonNode.Parse(await next.Content.ReadAsStringAsync());
    Console.WriteLine($"dotnet handling {requestId}");
    var body = input?["body"]?.GetValue<string>() ?? "";
    var response = new JsonObject
    {
        ["statusCode"] = 200,
        ["headers"] = new JsonObject { ["content-type"] = "application/json" },
        ["body"] = JsonSerializer.Serialize(new { runtime = ".NET " + Environment.Version, reversed = new string(body.Reverse().ToArray()) }),
    };
    await Console.Out.FlushAsync();
    using var posted = await http.PostAsJsonAsync($"{api}/invocation/{requestId}/response", response);
}
