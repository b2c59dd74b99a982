using System.Text.RegularExpressions;

namespace Ferry.Manifest.Rules;

/// <summary>
/// HTTP route methods and paths: a method is upper case or <c>*</c> (any); a path is <c>*</c> (any path) or starts
/// with <c>/</c> and has segments that are literal text, <c>{name}</c>, or a final greedy <c>{name+}</c>.
/// </summary>
internal static partial class RouteSyntax
{
    public const string AnyMethod = "*";
    public const string AnyPath = "*";
    public const int MaxPathLength = 1024;

    private static readonly IReadOnlySet<string> Methods =
        new HashSet<string>(StringComparer.Ordinal) { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" };

    public const string MethodRule = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY or *";

    [GeneratedRegex(@"^[A-Za-z0-9._~!$&'()*+,;=:@%\-]+$")]
    private static partial Regex LiteralSegmentPattern();

    [GeneratedRegex(@"^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$")]
    private static partial Regex ParameterSegmentPattern();

    /// <summary>Upper-cases a method and maps <c>ANY</c> and <c>*</c> to <see cref="AnyMethod"/>; false if unknown.</summary>
    public static bool TryNormalizeMethod(string method, out string normalized)
    {
        var upper = method.Trim().ToUpperInvariant();
        normalized = upper is "ANY" or AnyMethod ? AnyMethod : upper;
        return normalized == AnyMethod || Methods.Contains(normalized);
    }

    /// <summary>True for methods already in normal form (as stored in a manifest).</summary>
    public static bool IsNormalizedMethod(string method) => method == AnyMethod || Methods.Contains(method);

    /// <summary>Null if <paramref name="path"/> is a valid route path, else why it is not.</summary>
    public static string? FindPathProblem(string path)
    {
        if (path == AnyPath)
        {
            return null;
        }

        if (!path.StartsWith('/'))
        {
            return "must start with '/' (or be '*' for any path)";
        }

        if (path.Length > MaxPathLength)
        {
            return $"must be at most {MaxPathLength} characters";
        }

        if (path == "/")
        {
            return null;
        }

        var segments = path[1..].Split('/');
        var parameterNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0)
            {
                return "must not contain empty segments ('//' or a trailing '/')";
            }

            var parameter = ParameterSegmentPattern().Match(segment);
            if (parameter.Success)
            {
                var isGreedy = parameter.Groups[2].Length > 0;
                if (isGreedy && i != segments.Length - 1)
                {
                    return $"may use a greedy parameter '{segment}' only as the last segment";
                }

                if (!parameterNames.Add(parameter.Groups[1].Value))
                {
                    return $"uses the parameter name '{parameter.Groups[1].Value}' twice";
                }

                continue;
            }

            if (segment is "." or ".." || !LiteralSegmentPattern().IsMatch(segment))
            {
                return $"has an invalid segment '{segment}'; segments are literal text, {{name}} or a final {{name+}}";
            }
        }

        return null;
    }

    /// <summary>
    /// Two routes conflict when they have the same method and the same path shape: parameter names don't matter,
    /// so <c>GET /users/{id}</c> and <c>GET /users/{name}</c> conflict.
    /// </summary>
    public static string ConflictKey(string method, string path)
    {
        if (path == AnyPath)
        {
            return method + " " + AnyPath;
        }

        var shape = string.Join('/', path.Split('/').Select(segment =>
            ParameterSegmentPattern().Match(segment) is { Success: true } parameter
                ? parameter.Groups[2].Length > 0 ? "{+}" : "{}"
                : segment));
        return method + " " + shape;
    }
}
