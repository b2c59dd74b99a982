namespace Ferry.Manifest.Frameworks;

/// <summary>
/// The values <c>framework:</c> accepts on a web function. Each names a preset (how the app is built and started on
/// <c>$PORT</c>) that <c>ferry deploy</c> applies on the developer's machine; see Ferry.Packaging's <c>Frameworks</c>.
/// </summary>
public static class FrameworkNames
{
    public const string Express = "express";
    public const string Koa = "koa";
    public const string Nest = "nest";
    public const string NextJs = "nextjs";
    public const string Nuxt = "nuxt";
    public const string Flask = "flask";
    public const string Django = "django";
    public const string Laravel = "laravel";
    public const string Php = "php";
    public const string Egg = "egg";

    public static IReadOnlyList<string> All { get; } = [Express, Koa, Nest, NextJs, Flask, Django, Laravel, Php, Egg, Nuxt];

    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);

    /// <summary>Shown in errors about an unknown framework.</summary>
    public static string Supported => string.Join(", ", All);
}
