using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Ferry.Resources.Buckets;

/// <summary>A bucket of one tenant. Bucket names are unique per tenant, not globally as on AWS.</summary>
public readonly record struct BucketAddress(string Tenant, string Name)
{
    public override string ToString() => $"{Tenant}/{Name}";
}

/// <summary>The naming rules for buckets (AWS's general-purpose bucket rules) and tenants (as folder names).</summary>
public static partial class BucketNames
{
    /// <summary>3–63 characters: lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.</summary>
    public static bool TryValidate(string? name, [NotNullWhen(false)] out string? problem)
    {
        if (name is null || !BucketName().IsMatch(name))
        {
            problem = $"Bucket name '{name}' is invalid: use 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit";
            return false;
        }

        if (name.Contains("..", StringComparison.Ordinal) || name.Contains(".-", StringComparison.Ordinal) || name.Contains("-.", StringComparison.Ordinal))
        {
            problem = $"Bucket name '{name}' is invalid: '.' may not be next to another '.' or a '-'";
            return false;
        }

        if (IpAddressLike().IsMatch(name))
        {
            problem = $"Bucket name '{name}' is invalid: it may not look like an IP address";
            return false;
        }

        problem = null;
        return true;
    }

    /// <summary>Tenant names become folder names, so only a safe alphabet is accepted.</summary>
    public static bool TryValidateTenant(string? tenant, [NotNullWhen(false)] out string? problem)
    {
        if (tenant is null || !TenantName().IsMatch(tenant))
        {
            problem = $"Tenant '{tenant}' is invalid: use 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit";
            return false;
        }

        problem = null;
        return true;
    }

    internal static void Validate(BucketAddress bucket)
    {
        if (!TryValidateTenant(bucket.Tenant, out var problem) || !TryValidate(bucket.Name, out problem))
        {
            throw new ArgumentException(problem, nameof(bucket));
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")]
    private static partial Regex IpAddressLike();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex TenantName();
}
