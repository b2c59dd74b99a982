using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ferry.Server.Api;

namespace Ferry.Cli.Tests.Support;

/// <summary>A request as the stub saw it, with its body read before the client disposed it.</summary>
internal sealed record RecordedRequest(
    HttpMethod Method,
    Uri Uri,
    HttpRequestHeaders Headers,
    string? ContentType,
    string Body,
    IReadOnlyList<RecordedPart> Parts)
{
    public string PathAndQuery => Uri.PathAndQuery;
}

/// <summary>One part of a multipart/form-data request.</summary>
internal sealed record RecordedPart(string? Name, string? FileName, string? ContentType, byte[] Content)
{
    public string Text => Encoding.UTF8.GetString(Content);
}

/// <summary>An in-memory Ferry server: answers each request with <see cref="Responder"/> and records it.</summary>
internal sealed class StubHttpHandler : HttpMessageHandler
{
    private readonly List<RecordedRequest> _requests = [];

    public Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> Responder { get; set; }
        = (_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotImplemented));

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public void Respond(Func<HttpRequestMessage, HttpResponseMessage> respond)
        => Responder = (request, _) => Task.FromResult(respond(request));

    public static HttpResponseMessage Json<T>(HttpStatusCode status, T body) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(body, ApiJson.Options), Encoding.UTF8, "application/json"),
    };

    public static HttpResponseMessage ApiError(HttpStatusCode status, string code, string message, params ApiErrorDetail[] details)
        => Json(status, new ApiError(new ApiErrorBody(code, message, details.Length > 0 ? details : null)));

    public static HttpResponseMessage Ndjson(string body) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(body, Encoding.UTF8, "application/x-ndjson"),
    };

    /// <summary>
    /// Whether <c>GET /healthz</c> is answered 200 without being recorded or reaching <see cref="Responder"/>, as a
    /// running server would (the CLI warms its connection up with it while it does other work).
    /// </summary>
    public bool AnswersHealthChecks { get; set; } = true;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (AnswersHealthChecks && request.Method == HttpMethod.Get && request.RequestUri?.AbsolutePath == "/healthz")
        {
            return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new StringContent("ok") };
        }

        var parts = new List<RecordedPart>();
        var body = "";
        if (request.Content is MultipartFormDataContent multipart)
        {
            foreach (var part in multipart)
            {
                var disposition = part.Headers.ContentDisposition;
                parts.Add(new RecordedPart(
                    disposition?.Name?.Trim('"'),
                    disposition?.FileName?.Trim('"'),
                    part.Headers.ContentType?.MediaType,
                    await part.ReadAsByteArrayAsync(cancellationToken)));
            }
        }
        else if (request.Content is not null)
        {
            body = await request.Content.ReadAsStringAsync(cancellationToken);
        }

        lock (_requests)
        {
            _requests.Add(new RecordedRequest(
                request.Method, request.RequestUri!, request.Headers, request.Content?.Headers.ContentType?.MediaType, body, parts));
        }

        var response = await Responder(request, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }

    /// <summary>The CLI disposes its HttpClient (and so this handler) per command; the stub outlives it.</summary>
    protected override void Dispose(bool disposing)
    {
    }
}
