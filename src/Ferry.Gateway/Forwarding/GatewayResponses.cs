using System.Text.Json;
using Ferry.Runtime.Quotas;
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

    /// <summary>
    /// 429 (instances, memory) or 507 (storage) with <c>{"code":"quota_exceeded","quota":…,"limit":…,"used":…,"unit":…}</c>.
    /// </summary>
    public static async Task WriteQuotaExceededAsync(HttpContext context, TenantQuotaExceededException quota, string requestId)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = quota.StatusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("message", quota.Message);
        json.WriteString("code", "quota_exceeded");
        json.WriteString("quota", quota.Quota);
        json.WriteNumber("limit", quota.Limit);
        json.WriteNumber("used", quota.Used);
        json.WriteString("unit", quota.Unit);
        json.WriteString("requestId", requestId);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
