using System.Text.Json;
using Ferry.Gateway.Events;
using Ferry.Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Tests.Events;

internal static class EventTestData
{
    public static readonly DateTimeOffset Time = new(2024, 3, 5, 7, 8, 9, 123, TimeSpan.Zero);

    public static readonly RequestContextInfo Info = new("req-1", "000000000000", "dev", "api.example.com:8080", "10.0.0.7", Time);

    public static HttpRequest Request(string method, string query = "", string? contentType = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Protocol = "HTTP/1.1";
        context.Request.Path = "/shop/dev/users/42";
        context.Request.QueryString = new QueryString(query);
        context.Request.ContentType = contentType;
        return context.Request;
    }

    public static JsonElement Parse(byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static GatewayAddress Address { get; } = new("shop", "dev", "local", "/users/42");
}
