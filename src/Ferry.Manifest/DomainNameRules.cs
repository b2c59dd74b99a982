namespace Ferry.Manifest;

/// <summary>
/// Host names a custom domain may bind, and the base paths it may map: RFC 1123 names in lower case (at most 253
/// characters, labels of 1-63 letters, digits or '-' that neither start nor end with '-', at least two labels, a
/// top-level label that is not all digits, so no IP address), optionally with a leading <c>*.</c> label that stands
/// for exactly one label (<c>*.example.com</c> matches <c>a.example.com</c>, not <c>example.com</c> or <c>a.b.example.com</c>,
/// as a wildcard certificate does).
/// </summary>
public static class DomainNameRules
{
    public const int MaxLength = 253;
    public const int MaxLabelLength = 63;
    public const int MaxBasePathLength = 128;
    public const string WildcardPrefix = "*.";

    public const string Rule = "a lowercase DNS name of at most 253 characters with at least two labels of 1-63 letters, digits or '-' " +
        "(not starting or ending with '-'), such as api.example.com; '*.example.com' binds every name one label below example.com";

    public const string BasePathRule = "empty or '/' (the whole host), or up to 128 characters of '/'-separated segments of letters, digits, '-', '_' or '.', such as /v1";

    /// <summary>What is wrong with <paramref name="host"/>, or null when it may be bound.</summary>
    public static string? FindProblem(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return "is empty";
        }

        if (host.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters";
        }

        var name = host.StartsWith(WildcardPrefix, StringComparison.Ordinal) ? host[WildcardPrefix.Length..] : host;
        if (name.Contains('*', StringComparison.Ordinal))
        {
            return "may hold '*' only as its whole first label ('*.example.com')";
        }

        if (host.Any(char.IsAsciiLetterUpper))
        {
            return $"must be lower case ('{host.ToLowerInvariant()}')";
        }

        var labels = name.Split('.');
        if (labels.Length < 2)
        {
            return "needs at least two labels, such as app.example.com";
        }

        foreach (var label in labels)
        {
            if (label.Length is 0 or > MaxLabelLength)
            {
                return $"has a label of {label.Length} characters; labels are 1-{MaxLabelLength}";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"has the label '{label}', which starts or ends with '-'";
            }

            if (!label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return $"has the label '{label}'; labels hold only letters, digits and '-'";
            }
        }

        return labels[^1].All(char.IsAsciiDigit) ? "looks like an IP address; bind a DNS name" : null;
    }

    public static bool IsValid(string? host) => FindProblem(host) is null;

    public static bool IsWildcard(string host) => host.StartsWith(WildcardPrefix, StringComparison.Ordinal);

    /// <summary>
    /// True when a request could reach both hosts: the same name, or a wildcard and a name one label below its parent
    /// (<c>*.example.com</c> and <c>a.example.com</c>). Two tenants may never hold overlapping hosts.
    /// </summary>
    public static bool Overlaps(string a, string b)
    {
        if (a == b)
        {
            return true;
        }

        return (IsWildcard(a), IsWildcard(b)) switch
        {
            (true, false) => ParentOf(b) == a[WildcardPrefix.Length..],
            (false, true) => ParentOf(a) == b[WildcardPrefix.Length..],
            _ => false,
        };
    }

    /// <summary>The name without its first label (<c>example.com</c> for <c>a.example.com</c>); empty for a single label.</summary>
    public static string ParentOf(string host)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? "" : host[(dot + 1)..];
    }

    /// <summary>
    /// The base path in its one spelling: <c>""</c> for the whole host (<c>""</c>, <c>"/"</c>, <c>"(none)"</c> as
    /// serverless-domain-manager writes it), else <c>/a/b</c> without a trailing slash; null when it is not valid.
    /// </summary>
    public static string? NormalizeBasePath(string? basePath)
    {
        if (basePath is null or "" or "/" or "(none)")
        {
            return "";
        }

        if (basePath.Length > MaxBasePathLength)
        {
            return null;
        }

        var segments = basePath.Trim('/').Split('/');
        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment is "." or ".."
                || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return null;
            }
        }

        return "/" + string.Join('/', segments);
    }
}
