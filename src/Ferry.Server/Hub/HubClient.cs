using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Ferry.Server.Api;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Hub;

/// <summary>
/// Talks to a template center over its REST API: a remote Ferry registered with <c>ferry hub add</c>, or this very
/// server ("local", called over loopback with the caller's own token, so the same rules apply either way).
/// </summary>
/// <param name="publicAddressesOnly">
/// A hub a consumer added: every connection (redirects included) goes to public addresses only
/// (<see cref="HubAddressRules"/>), checked on the resolved addresses at connect time.
/// </param>
internal sealed class HubClient(string name, Uri baseUrl, string token, bool publicAddressesOnly) : IDisposable
{
    private static readonly SocketsHttpHandler Handler = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseProxy = false };

    private static readonly SocketsHttpHandler PublicOnlyHandler = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseProxy = false,
        ConnectCallback = HubAddressRules.ConnectAsync,
    };

    private readonly HttpClient _http = CreateClient(baseUrl, token, publicAddressesOnly);

    public string Name { get; } = name;

    private static HttpClient CreateClient(Uri baseUrl, string token, bool publicAddressesOnly)
    {
        var http = new HttpClient(publicAddressesOnly ? PublicOnlyHandler : Handler, disposeHandler: false) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public async Task<TemplateInfo?> GetTemplateAsync(string template, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/v1/templates/{Uri.EscapeDataString(template)}", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<TemplateInfo>(response, cancellationToken);
    }

    public async Task<SigningKeyInfo> GetSigningKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/v1/signing-keys/{Uri.EscapeDataString(keyId)}", cancellationToken);
        return await ReadAsync<SigningKeyInfo>(response, cancellationToken);
    }

    /// <summary>Downloads a version's package into <paramref name="destination"/> (at most <paramref name="maxBytes"/>).</summary>
    public async Task DownloadPackageAsync(string template, string version, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get,
            $"/api/v1/templates/{Uri.EscapeDataString(template)}/versions/{Uri.EscapeDataString(version)}/package", cancellationToken,
            HttpCompletionOption.ResponseHeadersRead);
        await EnsureSuccessAsync(response, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new HubException(StatusCodes.Status502BadGateway, "package_too_large", $"The package from hub '{Name}' is larger than {maxBytes} bytes");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        try
        {
            return await _http.SendAsync(new HttpRequestMessage(method, path), completion, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is HubAddressRefusedException refused)
        {
            // One fixed answer, given before any packet is sent: it says nothing about what listens at the address.
            throw new HubException(StatusCodes.Status403Forbidden, "hub_address_refused", $"The hub '{Name}' cannot be used: {refused.Message}");
        }
        catch (HttpRequestException ex)
        {
            throw new HubException(StatusCodes.Status502BadGateway, "hub_unreachable", $"The hub '{Name}' at {baseUrl} cannot be reached: {ex.Message}");
        }
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellationToken)
               ?? throw new HubException(StatusCodes.Status502BadGateway, "hub_bad_answer", $"The hub '{Name}' sent an empty answer");
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string message;
        try
        {
            message = (await response.Content.ReadFromJsonAsync<ApiError>(ApiJson.Options, cancellationToken))?.Error.Message ?? response.ReasonPhrase ?? "";
        }
        catch (System.Text.Json.JsonException)
        {
            message = response.ReasonPhrase ?? "";
        }

        var status = response.StatusCode switch
        {
            HttpStatusCode.NotFound => StatusCodes.Status404NotFound,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => StatusCodes.Status502BadGateway,
            _ => StatusCodes.Status502BadGateway,
        };
        throw new HubException(status, "hub_error", $"The hub '{Name}' answered {(int)response.StatusCode}: {message}");
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An install or upgrade failed because of the hub or the package; maps to the given status.</summary>
public sealed class HubException(int statusCode, string code, string message, IReadOnlyList<ApiErrorDetail>? details = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Code { get; } = code;
    public IReadOnlyList<ApiErrorDetail>? Details { get; } = details;
}
