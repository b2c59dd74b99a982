using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api;

/// <summary>Error answers of the REST API: always an <see cref="ApiError"/> body.</summary>
internal static class ApiResults
{
    public static IResult Error(int status, string code, string message, IReadOnlyList<ApiErrorDetail>? details = null)
        => Results.Json(new ApiError(new ApiErrorBody(code, message, details)), ApiJson.Options, statusCode: status);

    public static IResult NotFound(string message) => Error(StatusCodes.Status404NotFound, "not_found", message);

    public static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, "bad_request", message);

    public static string Region(string? region) => string.IsNullOrEmpty(region) ? Manifest.ManifestDefaults.Region : region;

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}";
}
