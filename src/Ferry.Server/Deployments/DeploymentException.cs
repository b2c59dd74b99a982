using Ferry.Server.Api;

namespace Ferry.Server.Deployments;

/// <summary>A deploy was refused because of its input; maps to a 4xx answer with the details.</summary>
public sealed class DeploymentException(int statusCode, string code, string message, IReadOnlyList<ApiErrorDetail>? details = null)
    : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Code { get; } = code;
    public IReadOnlyList<ApiErrorDetail>? Details { get; } = details;
}
