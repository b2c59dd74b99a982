using System.Text.RegularExpressions;
using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>What a template's app may do that a reviewer should weigh.</summary>
public enum PermissionKind
{
    /// <summary>A function ships compiled code that nobody can read (<c>template.closedSource</c>).</summary>
    ClosedSourceFunction,

    /// <summary>A web function runs an arbitrary command as a long-lived HTTP server.</summary>
    WebFunction,

    /// <summary>A secret parameter is handed to a function as an environment variable.</summary>
    SecretInEnvironment,
}

/// <param name="Subject">What the permission is about: a function name, or <c>function/VARIABLE</c>.</param>
/// <param name="Detail">Files, command or parameter; compared between versions.</param>
public sealed record TemplatePermission(PermissionKind Kind, string Subject, string Detail);

/// <summary>Derives the permissions of a template version from its definition and review manifest.</summary>
public static partial class TemplatePermissions
{
    [GeneratedRegex(@"\$\{param:(?<name>[A-Za-z][A-Za-z0-9_]*)\}")]
    private static partial Regex Placeholder();

    public static IReadOnlyList<TemplatePermission> Of(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var permissions = new List<TemplatePermission>();
        permissions.AddRange(snapshot.Definition.ClosedSource.Select(function =>
            new TemplatePermission(PermissionKind.ClosedSourceFunction, function.Function, string.Join(", ", function.Files))));

        var masking = new SecretMasking(null, snapshot.Definition);
        permissions.AddRange(snapshot.Manifest.Functions
            .Where(function => function.Kind == FunctionKind.Web)
            .Select(function => new TemplatePermission(PermissionKind.WebFunction, function.Name, masking.Mask(string.Join(' ', function.Command ?? [])))));

        var secrets = snapshot.Definition.Parameters.Where(p => p.Secret).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var function in snapshot.Manifest.Functions)
        {
            foreach (var (variable, value) in function.Environment.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                var used = Placeholder().Matches(value).Select(match => match.Groups["name"].Value).Where(secrets.Contains).Distinct().ToList();
                if (used.Count > 0)
                {
                    permissions.Add(new TemplatePermission(PermissionKind.SecretInEnvironment, $"{function.Name}/{variable}", string.Join(", ", used)));
                }
            }
        }

        return permissions;
    }
}
