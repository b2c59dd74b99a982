using System.Text;

namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>GETs through a host name (a custom domain) on the test server's own address, as a browser resolving it there would send them.</summary>
internal static class HostRequests
{
    /// <summary>GET <paramref name="path"/> with <c>Host: <paramref name="host"/></c> (null: the server's own), asserting a 2xx answer.</summary>
    public static async Task<(string? ContentType, byte[] Body)> GetBytesAtHostAsync(this HttpClient http, string? host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"{host}{path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        return (response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>As <see cref="GetBytesAtHostAsync"/>, the body as UTF-8 text.</summary>
    public static async Task<(string? ContentType, string Body)> GetAtHostAsync(this HttpClient http, string? host, string path)
    {
        var (contentType, body) = await http.GetBytesAtHostAsync(host, path);
        return (contentType, Encoding.UTF8.GetString(body));
    }
}
