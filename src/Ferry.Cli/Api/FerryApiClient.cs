using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ferry.Server.Api;

namespace Ferry.Cli.Api;

/// <summary>
/// Typed client of Ferry's REST API (see <c>Ferry.Server.Api.ApiContracts</c>). Error answers become
/// <see cref="FerryApiException"/>; no answer at all becomes <see cref="FerryUnreachableException"/>.
/// </summary>
internal sealed class FerryApiClient : IDisposable
{
    /// <summary>Longest wait for quick calls (list, info, logs, remove). Deploy, invoke and streams are not limited.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(60);

    internal const string ApiPrefix = "api/v1/";
    private const int MaxErrorTextChars = 500;

    private readonly HttpClient _http;

    /// <param name="http">Client whose <see cref="HttpClient.BaseAddress"/> is the server URL; it is owned and disposed.</param>
    public FerryApiClient(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http.BaseAddress, "http.BaseAddress");
        _http = http;
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public Uri ServerUrl => _http.BaseAddress!;

    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>Creates a client for <paramref name="serverUrl"/>, sending <paramref name="token"/> as a bearer token when given.</summary>
    public static FerryApiClient Create(Uri serverUrl, string? token, HttpMessageHandler handler)
    {
        var baseAddress = serverUrl.AbsoluteUri.EndsWith('/') ? serverUrl : new Uri(serverUrl.AbsoluteUri + "/");
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ferry-cli", typeof(FerryApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return new FerryApiClient(http);
    }

    /// <summary><c>POST /api/v1/deployments</c> with the resolved manifest and the zipped app.</summary>
    /// <param name="force">A new revision even when the package and manifest equal the live revision's.</param>
    public async Task<DeploymentResult> DeployAsync(string manifestJson, Stream archive, IProgress<long>? uploadProgress, CancellationToken cancellationToken, bool force = false)
    {
        using var content = new MultipartFormDataContent();
        var manifestPart = new StringContent(manifestJson, Encoding.UTF8, "application/json");
        content.Add(manifestPart, "manifest");
        var archivePart = new StreamContent(uploadProgress is null ? archive : new ProgressStream(archive, uploadProgress));
        archivePart.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(archivePart, "archive", "app.zip");

        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + (force ? "deployments?force=true" : "deployments")) { Content = content };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout: null, cancellationToken);
        return await ReadJsonAsync(response, DeployCache.DeployJsonContext.Default.DeploymentResult, cancellationToken);
    }

    /// <summary>
    /// <c>GET /healthz</c>, to open the connection and load the HTTP stack while the caller does other work (a fresh
    /// CLI process spends ~45 ms on its first request); the next request reuses the pooled connection. Never fails:
    /// whatever goes wrong here, the real request reports.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("healthz", HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception)
        {
            // Best effort only: the request that matters reports any problem itself.
        }
    }

    /// <summary>
    /// <c>POST /api/v1/deployments/unchanged</c>: the result of an unchanged deploy when the app stage still serves
    /// exactly that package and manifest. Fails with <see cref="FerryApiException"/> (409 <c>changed</c>) when not.
    /// </summary>
    public async Task<DeploymentResult> KeepIfUnchangedAsync(UnchangedDeploymentQuery query, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + "deployments/unchanged")
        {
            Content = JsonContent.Create(query, DeployCache.DeployJsonContext.Default.UnchangedDeploymentQuery),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync(response, DeployCache.DeployJsonContext.Default.DeploymentResult, cancellationToken);
    }

    /// <summary>
    /// <c>POST /api/v1/templates</c> with a signed template package and its optional changelog. The server answers 201
    /// for a new version (pending review) and 200 when this exact version was published before with identical content.
    /// </summary>
    public async Task<TemplatePublication> PublishTemplateAsync(
        Stream package, string? changelog, IProgress<long>? uploadProgress, CancellationToken cancellationToken)
    {
        using var content = new MultipartFormDataContent();
        var packagePart = new StreamContent(uploadProgress is null ? package : new ProgressStream(package, uploadProgress));
        packagePart.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(packagePart, "package", "template.zip");
        if (!string.IsNullOrWhiteSpace(changelog))
        {
            content.Add(new StringContent(changelog, Encoding.UTF8, "text/plain"), "changelog");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + "templates") { Content = content };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout: null, cancellationToken);
        var version = await ReadJsonAsync<TemplateVersionInfo>(response, cancellationToken);
        return new TemplatePublication(version, AlreadyPublished: response.StatusCode == HttpStatusCode.OK);
    }

    /// <summary>
    /// POST to an API path (relative to /api/v1/) without a time limit, for calls that deploy and watch a revision
    /// (install, upgrade, rollback); a null <paramref name="body"/> sends no body.
    /// </summary>
    public async Task<TResponse> PostWithoutTimeoutAsync<TRequest, TResponse>(string path, TRequest? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + path)
        {
            Content = body is null ? null : JsonContent.Create(body, options: ApiJson.Options),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout: null, cancellationToken);
        return await ReadJsonAsync<TResponse>(response, cancellationToken);
    }

    /// <summary><c>GET /api/v1/apps</c>.</summary>
    public async Task<IReadOnlyList<AppSummary>> ListAppsAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiPrefix + "apps");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<List<AppSummary>>(response, cancellationToken);
    }

    /// <summary><c>GET /api/v1/apps/{service}/{stage}?region=</c>.</summary>
    public async Task<AppInfo> GetAppAsync(AppTarget app, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AppPath(app, ""));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<AppInfo>(response, cancellationToken);
    }

    /// <summary><c>DELETE /api/v1/apps/{service}/{stage}?region=[&amp;deleteData=true]</c>.</summary>
    public async Task<RemoveResult> RemoveAppAsync(AppTarget app, bool deleteData, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, AppPath(app, "", [("deleteData", deleteData ? "true" : null)]));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<RemoveResult>(response, cancellationToken);
    }

    /// <summary><c>POST …/functions/{fn}/invoke</c> with <paramref name="eventJson"/> as the event.</summary>
    public async Task<FunctionInvocation> InvokeAsync(AppTarget app, string function, string eventJson, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AppPath(app, $"/functions/{Uri.EscapeDataString(function)}/invoke"))
        {
            Content = new StringContent(eventJson, Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout: null, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new FunctionInvocation(
            body,
            response.Content.Headers.ContentType?.MediaType,
            HeaderValue(response, FunctionInvocation.RequestIdHeader),
            HeaderValue(response, FunctionInvocation.FunctionErrorHeader));
    }

    /// <summary><c>GET …/logs</c>: stored lines, oldest first.</summary>
    public async Task<IReadOnlyList<LogLine>> GetLogsAsync(AppTarget app, LogQuery query, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, string?)>
        {
            ("function", query.Function),
            ("after", query.After?.ToString(CultureInfo.InvariantCulture)),
            ("since", query.Since?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)),
            ("contains", query.Contains),
            ("limit", query.Limit?.ToString(CultureInfo.InvariantCulture)),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, AppPath(app, "/logs", parameters));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<List<LogLine>>(response, cancellationToken);
    }

    /// <summary>
    /// Opens <c>GET …/logs/stream</c>: lines newer than <paramref name="after"/> (or new lines only when null), live
    /// until the returned stream is disposed or the connection drops.
    /// </summary>
    public async Task<LogStream> OpenLogStreamAsync(AppTarget app, string? function, long? after, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, string?)>
        {
            ("function", function),
            ("after", after?.ToString(CultureInfo.InvariantCulture)),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, AppPath(app, "/logs/stream", parameters));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout: null, cancellationToken);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new LogStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>GET an API path (relative to /api/v1/) and read its JSON body.</summary>
    public async Task<T> GetJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiPrefix + path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<T>(response, cancellationToken);
    }

    /// <summary>
    /// GET an API path (relative to /api/v1/) and copy its body into <paramref name="destination"/>; a body longer than
    /// <paramref name="maxBytes"/> is an error.
    /// </summary>
    public async Task DownloadAsync(string path, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiPrefix + path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout: null, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new CliUserException($"{path} is larger than {maxBytes / (1024 * 1024)} MiB; nothing was written");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    /// <summary>POST a JSON body to an API path (relative to /api/v1/) and read the JSON answer.</summary>
    public async Task<TResponse> PostJsonAsync<TRequest, TResponse>(string path, TRequest body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + path)
        {
            Content = JsonContent.Create(body, options: ApiJson.Options),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<TResponse>(response, cancellationToken);
    }

    /// <summary>PUT a JSON body to an API path (relative to /api/v1/) and read the JSON answer.</summary>
    public async Task<TResponse> PutJsonAsync<TRequest, TResponse>(string path, TRequest body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, ApiPrefix + path)
        {
            Content = JsonContent.Create(body, options: ApiJson.Options),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
        return await ReadJsonAsync<TResponse>(response, cancellationToken);
    }

    /// <summary>DELETE an API path (relative to /api/v1/).</summary>
    public async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ApiPrefix + path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, RequestTimeout, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    internal static string AppPath(AppTarget app, string suffix, IEnumerable<(string Name, string? Value)>? parameters = null)
    {
        var path = new StringBuilder(ApiPrefix)
            .Append("apps/").Append(Uri.EscapeDataString(app.Service))
            .Append('/').Append(Uri.EscapeDataString(app.Stage))
            .Append(suffix)
            .Append("?region=").Append(Uri.EscapeDataString(app.Region));
        foreach (var (name, value) in parameters ?? [])
        {
            if (value is not null)
            {
                path.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return path.ToString();
    }

    private async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request, HttpCompletionOption completion, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            timeoutSource.CancelAfter(limit);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, timeoutSource.Token);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new FerryUnreachableException(ServerUrl, e.Message, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FerryUnreachableException(ServerUrl, $"no answer within {timeout?.TotalSeconds:0} s", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await ReadErrorAsync(response, cancellationToken);
            throw new FerryApiException(response.StatusCode, error);
        }
    }

    private static async Task<ApiErrorBody> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            text = "";
        }

        var fallbackCode = $"http_{(int)response.StatusCode}";
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (ParseErrorBody(text) is { } error)
            {
                return error with { Code = string.IsNullOrEmpty(error.Code) ? fallbackCode : error.Code };
            }
        }

        var message = string.IsNullOrWhiteSpace(text)
            ? $"{(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()}"
            : text.Length <= MaxErrorTextChars ? text.Trim() : text[..MaxErrorTextChars].Trim() + "…";
        return new ApiErrorBody(fallbackCode, message);
    }

    /// <summary>An <see cref="ApiError"/> body, or a bare <see cref="ApiErrorBody"/> (the gateway's 404s); null for anything else.</summary>
    private static ApiErrorBody? ParseErrorBody(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var body = document.RootElement.TryGetProperty("error", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object
                ? wrapped.Deserialize<ApiErrorBody>(ApiJson.Options)
                : document.RootElement.Deserialize<ApiErrorBody>(ApiJson.Options);
            return string.IsNullOrEmpty(body?.Message) ? null : body;
        }
        catch (JsonException)
        {
            // Not JSON (e.g. a proxy's HTML page): the caller quotes the text.
            return null;
        }
    }

    /// <summary>Reads a body with source-generated metadata (the deploy path: no reflection-based serializer to warm up).</summary>
    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken)
                ?? throw new InvalidDataException($"Ferry at {ServerUrl} answered {response.RequestMessage?.RequestUri?.AbsolutePath} with 'null' where a {typeof(T).Name} was expected.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"Ferry at {ServerUrl} answered {response.RequestMessage?.RequestUri?.AbsolutePath} with a body that is not a {typeof(T).Name}: {e.Message}", e);
        }
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellationToken)
                ?? throw new InvalidDataException($"Ferry at {ServerUrl} answered {response.RequestMessage?.RequestUri?.AbsolutePath} with 'null' where a {typeof(T).Name} was expected.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"Ferry at {ServerUrl} answered {response.RequestMessage?.RequestUri?.AbsolutePath} with a body that is not a {typeof(T).Name}: {e.Message}", e);
        }
    }

    private static string? HeaderValue(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
}

/// <summary>An open <c>logs/stream</c> response; dispose to disconnect.</summary>
internal sealed class LogStream(HttpResponseMessage response, Stream body) : IAsyncDisposable
{
    public IAsyncEnumerable<LogLine> ReadAsync(CancellationToken cancellationToken) => NdjsonLogReader.ReadAsync(body, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await body.DisposeAsync();
        response.Dispose();
    }
}
