using System.Net;
using System.Text;
using System.Text.Json;
using Ferry.Manifest;
using Ferry.Runtime.Instances;
using Ferry.Runtime.RuntimeApi;
using Ferry.Runtime.Sandbox;
using Ferry.Runtime.Tests.Sandbox;
using Ferry.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Runtime.Tests.RuntimeApi;

/// <summary>
/// The Runtime API host with a real event-function instance whose process only sleeps: the test itself plays the
/// runtime loop over HTTP, so every answer of the host (standard Lambda protocol and Ferry's one-round-trip
/// extension, <c>Lambda-Runtime-Ferry-Next: 1</c>) is observed exactly.
/// </summary>
public sealed class RuntimeApiHostTests : IAsyncLifetime
{
    /// <summary>Guards against a hung call; never an assertion about speed.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private RuntimeApiTestInstance? _api;

    private RuntimeApiTestInstance Api => _api!;

    private EventFunctionInstance Instance => Api.Instance;

    public async Task InitializeAsync() =>
        _api = await RuntimeApiTestInstance.StartAsync("apitest",
            new FunctionManifest { Name = "loop", Handler = "loop.handler", Runtime = "provided.al2", MemorySize = 128, Timeout = 30 },
            new UnsandboxedProcessSandbox(SandboxTestFolders.Cgroups, NullLogger.Instance), new RuntimeOptions { MaxPayloadBytes = 1024 },
            writeCode: async code =>
            {
                // A "provided" function whose bootstrap just waits: the test is its runtime loop.
                var bootstrap = Path.Combine(code, "bootstrap");
                await File.WriteAllTextAsync(bootstrap, "#!/bin/sh\nexec sleep 600\n");
                File.SetUnixFileMode(bootstrap, (UnixFileMode)0x1ED);
            });

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    private static HttpRequestMessage Post(string url, string json, bool next, string? errorType = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (next)
        {
            request.Headers.Add(RuntimeApiHost.FerryNextHeader, "1");
        }

        if (errorType is not null)
        {
            request.Headers.Add("Lambda-Runtime-Function-Error-Type", errorType);
        }

        return request;
    }

    private Task<HttpResponseMessage> PostResponseAsync(string requestId, string json, bool next, CancellationToken cancellationToken = default)
        => Api.Http.SendAsync(Post(Api.Url($"/runtime/invocation/{requestId}/response"), json, next), cancellationToken);

    private Task<InvocationResult> InvokeAsync(string requestId, string json)
        => Instance.InvokeAsync(requestId, Encoding.UTF8.GetBytes(json), coldStart: false);

    private static string Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"no {name} header in {response}");

    /// <summary>Checks that <paramref name="response"/> hands out <paramref name="requestId"/> with the event as its body.</summary>
    private async Task AssertInvocationAsync(HttpResponseMessage response, string requestId, string eventJson)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var arn = Api.Function.Arn;
        Assert.Equal(requestId, Header(response, "Lambda-Runtime-Aws-Request-Id"));
        Assert.True(long.Parse(Header(response, "Lambda-Runtime-Deadline-Ms"), System.Globalization.CultureInfo.InvariantCulture)
            > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(arn, Header(response, "Lambda-Runtime-Invoked-Function-Arn"));
        Assert.StartsWith("Root=1-", Header(response, "Lambda-Runtime-Trace-Id"), StringComparison.Ordinal);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(eventJson, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_response_posted_with_the_ferry_next_header_is_answered_with_the_next_invocation()
    {
        var first = InvokeAsync("req-1", """{"n":1}""");
        await AssertInvocationAsync(await Api.FirstNext.WaitAsync(Patience), "req-1", """{"n":1}""");

        // The answer is recorded at once; the POST itself long-polls until there is a next invocation.
        var posted = PostResponseAsync("req-1", """{"ok":1}""", next: true);
        var result = await first.WaitAsync(Patience);
        Assert.Equal(InvocationStatus.Success, result.Status);
        Assert.Equal("""{"ok":1}""", Encoding.UTF8.GetString(result.Payload.Span));
        Assert.False(posted.IsCompleted, "the POST must wait for the next invocation");

        var second = InvokeAsync("req-2", """{"n":2}""");
        await AssertInvocationAsync(await posted.WaitAsync(Patience), "req-2", """{"n":2}""");

        // An error posted the same way: recorded with its type, and the next invocation comes back.
        var afterError = Api.Http.SendAsync(Post(Api.Url("/runtime/invocation/req-2/error"), """{"errorMessage":"no","errorType":"Oops"}""", next: true, errorType: "Oops"));
        var failed = await second.WaitAsync(Patience);
        Assert.Equal(InvocationStatus.Error, failed.Status);
        Assert.Equal("Oops", failed.ErrorType);
        var third = InvokeAsync("req-3", "{}");
        await AssertInvocationAsync(await afterError.WaitAsync(Patience), "req-3", "{}");

        // Without the header the protocol is Lambda's: 202 at once, then GET …/next.
        using var accepted = await PostResponseAsync("req-3", "true", next: false).WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("""{"status":"OK"}""", await accepted.Content.ReadAsStringAsync());
        Assert.Equal("true", Encoding.UTF8.GetString((await third.WaitAsync(Patience)).Payload.Span));
    }

    [Fact]
    public async Task A_refused_answer_with_the_ferry_next_header_takes_no_invocation()
    {
        var first = InvokeAsync("req-1", "{}");
        await Api.FirstNext.WaitAsync(Patience);

        using var unknown = await PostResponseAsync("someone-else", "{}", next: true).WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("InvalidRequestIDException", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Too large for the payload limit (1 KiB here): the invocation fails with the size error, and the 413 carries no event.
        using var tooLarge = await PostResponseAsync("req-1", JsonSerializer.Serialize(new string('x', 2048)), next: true).WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        var result = await first.WaitAsync(Patience);
        Assert.Equal("Function.ResponseSizeTooLarge", result.ErrorType);

        // The loop falls back to GET …/next, which still gets the next invocation.
        var next = Api.Http.GetAsync(Api.Url("/runtime/invocation/next"));
        var second = InvokeAsync("req-2", "[2]");
        await AssertInvocationAsync(await next.WaitAsync(Patience), "req-2", "[2]");
        using var done = await PostResponseAsync("req-2", "null", next: false).WaitAsync(Patience);
        Assert.Equal(InvocationStatus.Success, (await second.WaitAsync(Patience)).Status);
    }

    [Theory]
    [InlineData("GET", "/invocation/next", "does not come from a sandboxed instance")]
    [InlineData("POST", "/invocation/req-1/response", "does not come from a sandboxed instance")]
    [InlineData("POST", "/invocation/req-1/error", "does not come from a sandboxed instance")]
    [InlineData("POST", "/invocation/req-1/other", "Unknown Runtime API path")]
    [InlineData("POST", "/invocation//response", "Unknown Runtime API path")]
    [InlineData("GET", "/invocation/req-1/response", "Unknown Runtime API path")]
    public async Task The_plain_paths_answer_a_caller_outside_any_sandbox_as_routing_would(string method, string path, string message)
    {
        // The per-invocation calls skip routing; on the plain paths a connection over TCP has no sandboxed peer.
        var authority = new Uri(Api.Url("/")).GetLeftPart(UriPartial.Authority);
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{authority}/2018-06-01/runtime{path}");
        if (method == "POST")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await Api.Http.SendAsync(request).WaitAsync(Patience);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/runtime/invocation/req-1/other")]
    [InlineData("/runtime/invocation/req-1/response/more")]
    [InlineData("/runtime/invocations/req-1/response")]
    public async Task Other_paths_under_an_instances_own_prefix_are_unknown(string route)
    {
        using var response = await Api.Http.PostAsync(Api.Url(route), new StringContent("{}", Encoding.UTF8, "application/json")).WaitAsync(Patience);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Unknown Runtime API path", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_posted_answer_waiting_for_the_next_invocation_gets_410_when_the_instance_stops()
    {
        var first = InvokeAsync("req-1", "{}");
        await Api.FirstNext.WaitAsync(Patience);
        var posted = PostResponseAsync("req-1", "{}", next: true);
        Assert.Equal(InvocationStatus.Success, (await first.WaitAsync(Patience)).Status);

        await Instance.DisposeAsync(); // retired (idle, revision replaced, server stopping)

        using var stopped = await posted.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.Gone, stopped.StatusCode);
        Assert.Contains("InstanceStopped", await stopped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
