namespace Ferry.Manifest.Components;

internal enum ComponentKind
{
    /// <summary><c>scf</c>: one event function with its triggers.</summary>
    Scf,

    /// <summary><c>multi-scf</c>: several event functions and their triggers in one component.</summary>
    MultiScf,

    Express,
    Koa,
    Nest,
    Next,
    Nuxt,
    Flask,
    Django,
    Laravel,
    Egg,

    /// <summary><c>postgresql</c>: one database, named after the instance.</summary>
    Database,
}

/// <summary>The <c>component:</c> names Ferry deploys, as Tencent's Serverless Components registry names them.</summary>
internal static class ComponentKinds
{
    private static readonly Dictionary<string, ComponentKind> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["scf"] = ComponentKind.Scf,
        ["multi-scf"] = ComponentKind.MultiScf,
        ["express"] = ComponentKind.Express,
        ["koa"] = ComponentKind.Koa,
        ["nestjs"] = ComponentKind.Nest,
        ["nextjs"] = ComponentKind.Next,
        ["nuxtjs"] = ComponentKind.Nuxt,
        ["flask"] = ComponentKind.Flask,
        ["django"] = ComponentKind.Django,
        ["laravel"] = ComponentKind.Laravel,
        ["egg"] = ComponentKind.Egg,
        ["postgresql"] = ComponentKind.Database,
    };

    public static string Described => string.Join(", ", Names.Keys);

    /// <summary>The kind a <c>component:</c> value names; <c>@serverless/tencent-scf</c>-style names are accepted too.</summary>
    public static ComponentKind? Find(string component)
    {
        var name = component.Trim();
        var slash = name.LastIndexOf('/');
        if (slash >= 0)
        {
            name = name[(slash + 1)..];
        }

        if (name.StartsWith("tencent-", StringComparison.OrdinalIgnoreCase))
        {
            name = name["tencent-".Length..];
        }

        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            // "express@0.1.2": the version is the component's, not the app's.
            name = name[..at];
        }

        return Names.TryGetValue(name, out var kind) ? kind : null;
    }

    /// <summary>The framework name a web function's <c>framework:</c> key takes for a framework component.</summary>
    public static string FrameworkOf(ComponentKind kind) => kind switch
    {
        ComponentKind.Express => "express",
        ComponentKind.Koa => "koa",
        ComponentKind.Nest => "nest",
        ComponentKind.Next => "nextjs",
        ComponentKind.Nuxt => "nuxt",
        ComponentKind.Flask => "flask",
        ComponentKind.Django => "django",
        ComponentKind.Laravel => "laravel",
        ComponentKind.Egg => "egg",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a framework component"),
    };
}
