using Ferry.Manifest;

namespace Ferry.Hub;

/// <summary>A template version as a reviewer sees it: its definition and its manifest (see <see cref="TemplateReviewManifest"/>).</summary>
public sealed record TemplateSnapshot(TemplateDefinition Definition, ServiceManifest Manifest);

/// <summary>
/// What changes between two versions of a template, for review: metadata, functions (runtime, handler, command,
/// memory, timeout, environment), routes, parameters, and permissions (what the app may do that deserves a
/// reviewer's attention; see <see cref="PermissionKind"/>). Values of secret parameters never appear: the review
/// manifest holds placeholders, and secret defaults are masked. <see cref="Render"/> gives a text form.
/// </summary>
public sealed record TemplateDiff
{
    public required string Template { get; init; }

    /// <summary>Null when the next version is the template's first.</summary>
    public SemanticVersion? PreviousVersion { get; init; }

    public required SemanticVersion NextVersion { get; init; }

    /// <summary>Description, README, author, license and labels.</summary>
    public IReadOnlyList<PropertyChange> Metadata { get; init; } = [];

    public IReadOnlyList<ItemChange> Functions { get; init; } = [];

    public IReadOnlyList<RouteChange> Routes { get; init; } = [];

    public IReadOnlyList<ItemChange> Parameters { get; init; } = [];

    public IReadOnlyList<PermissionChange> Permissions { get; init; } = [];

    public bool IsEmpty => Metadata.Count == 0 && Functions.Count == 0 && Routes.Count == 0 && Parameters.Count == 0 && Permissions.Count == 0;

    /// <summary>Compares <paramref name="next"/> with <paramref name="previous"/> (null for a first version: everything is added).</summary>
    public static TemplateDiff Compare(TemplateSnapshot? previous, TemplateSnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var masking = new SecretMasking(previous?.Definition, next.Definition);
        return new TemplateDiff
        {
            Template = next.Definition.Name,
            PreviousVersion = previous?.Definition.Version,
            NextVersion = next.Definition.Version,
            Metadata = ReviewProperties.Compare(ReviewProperties.Metadata(previous?.Definition), ReviewProperties.Metadata(next.Definition)),
            Functions = CompareItems(
                previous?.Manifest.Functions ?? [], next.Manifest.Functions, function => function.Name, function => ReviewProperties.Function(function, masking)),
            Routes = CompareRoutes(previous?.Manifest, next.Manifest),
            Parameters = CompareItems(
                previous?.Definition.Parameters ?? [], next.Definition.Parameters, parameter => parameter.Name, ReviewProperties.Parameter),
            Permissions = ComparePermissions(previous, next),
        };
    }

    /// <summary>
    /// One line per change: a header, then sections (<c>functions:</c>, <c>routes:</c>, …) whose lines start with
    /// <c>+</c> (added), <c>-</c> (removed) or <c>~</c> (changed).
    /// </summary>
    public IReadOnlyList<string> Render() => DiffRenderer.Render(this);

    public override string ToString() => string.Join(Environment.NewLine, Render());

    private static List<ItemChange> CompareItems<T>(
        IReadOnlyList<T> before, IReadOnlyList<T> after, Func<T, string> nameOf, Func<T, IReadOnlyList<ReviewProperty>> propertiesOf)
    {
        var changes = new List<ItemChange>();
        var previous = before.ToDictionary(nameOf, StringComparer.Ordinal);
        foreach (var item in after)
        {
            var name = nameOf(item);
            if (!previous.Remove(name, out var old))
            {
                changes.Add(new ItemChange(name, ChangeKind.Added, ReviewProperties.Compare([], propertiesOf(item))));
                continue;
            }

            var properties = ReviewProperties.Compare(propertiesOf(old), propertiesOf(item));
            if (properties.Count > 0)
            {
                changes.Add(new ItemChange(name, ChangeKind.Changed, properties));
            }
        }

        changes.AddRange(before.Where(item => previous.ContainsKey(nameOf(item))).Select(item => new ItemChange(nameOf(item), ChangeKind.Removed, [])));
        return changes;
    }

    private static List<RouteChange> CompareRoutes(ServiceManifest? previous, ServiceManifest next)
    {
        static List<RouteChange> RoutesOf(ServiceManifest? manifest, ChangeKind kind) =>
            [.. (manifest?.Functions ?? []).SelectMany(function => function.Routes.Select(route =>
                new RouteChange(kind, route.Method, route.Path, route.PayloadFormat, function.Name)))];

        var before = RoutesOf(previous, ChangeKind.Removed);
        var after = RoutesOf(next, ChangeKind.Added);
        var added = after.Where(route => !before.Any(old => old.SameRoute(route)));
        var removed = before.Where(route => !after.Any(current => current.SameRoute(route)));
        return [.. added.Concat(removed)];
    }

    private static List<PermissionChange> ComparePermissions(TemplateSnapshot? previous, TemplateSnapshot next)
    {
        var before = previous is null ? [] : TemplatePermissions.Of(previous);
        var after = TemplatePermissions.Of(next);
        var changes = new List<PermissionChange>();
        foreach (var permission in after)
        {
            var old = before.FirstOrDefault(p => p.Kind == permission.Kind && p.Subject == permission.Subject);
            if (old is null)
            {
                changes.Add(new PermissionChange(ChangeKind.Added, permission, null));
            }
            else if (old.Detail != permission.Detail)
            {
                changes.Add(new PermissionChange(ChangeKind.Changed, permission, old.Detail));
            }
        }

        changes.AddRange(before
            .Where(old => !after.Any(p => p.Kind == old.Kind && p.Subject == old.Subject))
            .Select(old => new PermissionChange(ChangeKind.Removed, old, null)));
        return changes;
    }
}

public enum ChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>A property that differs; <see cref="Before"/> is null when it was not set, <see cref="After"/> when it no longer is.</summary>
public sealed record PropertyChange(string Property, string? Before, string? After);

/// <summary>
/// A function or parameter that was added (<see cref="Properties"/> lists its settings), removed (no properties) or
/// changed (the properties that differ).
/// </summary>
public sealed record ItemChange(string Name, ChangeKind Kind, IReadOnlyList<PropertyChange> Properties);

/// <summary>A route that was added or removed (a route that moves to another function is both).</summary>
public sealed record RouteChange(ChangeKind Kind, string Method, string Path, string PayloadFormat, string Function)
{
    internal bool SameRoute(RouteChange other) =>
        Method == other.Method && Path == other.Path && PayloadFormat == other.PayloadFormat && Function == other.Function;
}

/// <summary>A permission gained, lost, or whose detail changed (<see cref="PreviousDetail"/> is then the old one).</summary>
public sealed record PermissionChange(ChangeKind Kind, TemplatePermission Permission, string? PreviousDetail);
