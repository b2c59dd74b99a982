using System.Diagnostics.CodeAnalysis;
using Ferry.Manifest;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Routing;

/// <summary>
/// Ferry's public URL scheme: <c>/{service}/{stage}/{rest}</c> for the default region and
/// <c>/{service}/{stage}@{region}/{rest}</c> for any other.
/// </summary>
public static class GatewayPath
{
    /// <summary>The region a URL addresses when it names none.</summary>
    public const string DefaultRegion = ManifestDefaults.Region;

    private const char RegionSeparator = '@';
    private const int MaxServiceNameLength = 40;
    private const int MaxStageNameLength = 30;

    /// <summary>
    /// Splits a request path into its service, stage, region and remaining path.
    /// Returns false when the path has fewer than two segments or a name is not valid
    /// (service <c>^[a-z][a-z0-9-]{0,39}$</c>, stage and region <c>^[a-z0-9][a-z0-9-]{0,29}$</c>).
    /// </summary>
    /// <param name="path">The request path as ASP.NET Core holds it (unescaped, except that <c>%2F</c> stays encoded).</param>
    /// <param name="address">The parsed address; its remaining path is URI-escaped (see <see cref="GatewayAddress.RemainingPath"/>).</param>
    public static bool TryParse(PathString path, [NotNullWhen(true)] out GatewayAddress? address)
    {
        address = null;
        if (!path.HasValue)
        {
            return false;
        }

        // Escaping first keeps an encoded slash inside its segment and gives the app a wire-form path.
        string escaped = path.ToUriComponent();

        const int serviceStart = 1;
        int serviceEnd = escaped.IndexOf('/', serviceStart);
        if (serviceEnd < 0 || !IsValidServiceName(escaped.AsSpan(serviceStart, serviceEnd - serviceStart)))
        {
            return false;
        }

        int stageStart = serviceEnd + 1;
        int stageEnd = escaped.IndexOf('/', stageStart);
        if (stageEnd < 0)
        {
            stageEnd = escaped.Length;
        }

        ReadOnlySpan<char> stageSegment = escaped.AsSpan(stageStart, stageEnd - stageStart);
        ReadOnlySpan<char> stage = stageSegment;
        ReadOnlySpan<char> region = DefaultRegion;
        int at = stageSegment.IndexOf(RegionSeparator);
        if (at >= 0)
        {
            stage = stageSegment[..at];
            region = stageSegment[(at + 1)..];
        }

        if (!IsValidStageName(stage) || !IsValidRegionName(region))
        {
            return false;
        }

        string remaining = stageEnd < escaped.Length ? escaped[stageEnd..] : "/";
        address = new GatewayAddress(
            escaped[serviceStart..serviceEnd],
            stage.ToString(),
            at >= 0 ? region.ToString() : DefaultRegion,
            remaining);
        return true;
    }

    /// <summary>
    /// The public prefix for a deployment: <c>/{service}/{stage}</c>, or <c>/{service}/{stage}@{region}</c>
    /// when the region is not <see cref="DefaultRegion"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A name does not match its pattern.</exception>
    public static string BasePath(string service, string stage, string region = DefaultRegion)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(region);
        if (!IsValidServiceName(service))
        {
            throw new ArgumentException($"'{service}' is not a valid service name; expected ^[a-z][a-z0-9-]{{0,39}}$.", nameof(service));
        }

        if (!IsValidStageName(stage))
        {
            throw new ArgumentException($"'{stage}' is not a valid stage name; expected ^[a-z0-9][a-z0-9-]{{0,29}}$.", nameof(stage));
        }

        if (!IsValidRegionName(region))
        {
            throw new ArgumentException($"'{region}' is not a valid region name; expected ^[a-z0-9][a-z0-9-]{{0,29}}$.", nameof(region));
        }

        return region == DefaultRegion ? $"/{service}/{stage}" : $"/{service}/{stage}{RegionSeparator}{region}";
    }

    /// <summary>True when <paramref name="name"/> matches <c>^[a-z][a-z0-9-]{0,39}$</c>.</summary>
    public static bool IsValidServiceName(ReadOnlySpan<char> name) =>
        name.Length is >= 1 and <= MaxServiceNameLength && char.IsAsciiLetterLower(name[0]) && IsNameTail(name[1..]);

    /// <summary>True when <paramref name="name"/> matches <c>^[a-z0-9][a-z0-9-]{0,29}$</c>.</summary>
    public static bool IsValidStageName(ReadOnlySpan<char> name) =>
        name.Length is >= 1 and <= MaxStageNameLength && IsLowerAlphanumeric(name[0]) && IsNameTail(name[1..]);

    /// <summary>True when <paramref name="name"/> matches <c>^[a-z0-9][a-z0-9-]{0,29}$</c>.</summary>
    public static bool IsValidRegionName(ReadOnlySpan<char> name) => IsValidStageName(name);

    private static bool IsNameTail(ReadOnlySpan<char> tail)
    {
        foreach (char c in tail)
        {
            if (!IsLowerAlphanumeric(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
