using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Forwarding;

/// <summary>The gateway's own answers (no function involved, or the function failed), always a small JSON body.</summary>
internal static class GatewayResponses
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string message, string? requestId = null)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, string> { ["message"] = message, ["code"] = code };
        if (requestId is not null)
        {
            body["requestId"] = requestId;
        }

        await JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
