namespace Ferry.Hub;

/// <summary>The text form of a <see cref="TemplateDiff"/>.</summary>
internal static class DiffRenderer
{
    private const string None = "(none)";

    public static List<string> Render(TemplateDiff diff)
    {
        var lines = new List<string>
        {
            diff.PreviousVersion is null
                ? $"{diff.Template} {diff.NextVersion} (first version)"
                : $"{diff.Template} {diff.PreviousVersion} → {diff.NextVersion}",
        };
        if (diff.IsEmpty)
        {
            lines.Add("no changes");
            return lines;
        }

        Section(lines, "metadata", diff.Metadata.Select(change => "~ " + Describe(change)));
        Section(lines, "functions", diff.Functions.Select(change => Item("function", change)));
        Section(lines, "routes", diff.Routes.Select(route =>
            $"{Sign(route.Kind)} {route.Method} {route.Path} → {route.Function}{(route.PayloadFormat == Ferry.Manifest.HttpRoute.PayloadV1 ? " (http, payload 1.0)" : "")}"));
        Section(lines, "parameters", diff.Parameters.Select(change => Item("parameter", change)));
        Section(lines, "permissions", diff.Permissions.Select(Permission));
        return lines;
    }

    private static void Section(List<string> lines, string title, IEnumerable<string> items)
    {
        var section = items.ToList();
        if (section.Count > 0)
        {
            lines.Add($"{title}:");
            lines.AddRange(section.Select(line => "  " + line));
        }
    }

    private static string Item(string what, ItemChange change) => change.Kind switch
    {
        ChangeKind.Added => $"+ {what} {change.Name}: {string.Join(", ", change.Properties.Where(p => p.After is not null).Select(p => $"{p.Property} {p.After}"))}",
        ChangeKind.Removed => $"- {what} {change.Name}",
        _ => $"~ {what} {change.Name}: {string.Join(", ", change.Properties.Select(Describe))}",
    };

    private static string Describe(PropertyChange change) =>
        change.Property == ReviewProperties.Readme
            ? $"readme {(change.Before is null ? "added" : change.After is null ? "removed" : "changed")}"
            : $"{change.Property} {change.Before ?? None} → {change.After ?? None}";

    private static string Permission(PermissionChange change)
    {
        var permission = change.Permission;
        var text = permission.Kind switch
        {
            PermissionKind.ClosedSourceFunction => $"closed-source function {permission.Subject} (files: {permission.Detail})",
            PermissionKind.WebFunction => $"web function {permission.Subject} runs the command: {permission.Detail}",
            _ => $"secret parameter {permission.Detail} reaches environment variable {permission.Subject}",
        };
        return change.Kind == ChangeKind.Changed
            ? $"~ {text} (was: {change.PreviousDetail})"
            : $"{Sign(change.Kind)} {text}";
    }

    private static string Sign(ChangeKind kind) => kind switch
    {
        ChangeKind.Added => "+",
        ChangeKind.Removed => "-",
        _ => "~",
    };
}
