using System.Reflection;

namespace Ferry.Cli.Init;

/// <summary>The starters embedded in the CLI assembly under <c>Starters/&lt;name&gt;/…</c>, one per kind of app.</summary>
internal static class StarterCatalog
{
    private const string ResourcePrefix = "Starters/";

    public static IReadOnlyList<Starter> All { get; } =
    [
        new("node", "Node.js event function behind GET /hello (serverless.yml)"),
        new("python", "Python event function behind GET /hello (serverless.yml)"),
        new("typescript", "TypeScript function bundled by Ferry's esbuild build, GET /hello"),
        new("express", "Express web app exported from app.js, dependencies installed at deploy"),
        new("koa", "Koa web app listening on $PORT, dependencies installed at deploy"),
        new("nest", "NestJS web app (module, controller, service), built with tsc at deploy"),
        new("nuxt", "Nuxt app (server-rendered page, server/api route), built with nuxt build at deploy"),
        new("nextjs", "Next.js app (server-rendered page, API route), built with next build at deploy"),
        new("flask", "Flask web app served through a WSGI server"),
        new("django", "Django project (no database) served through a WSGI server"),
        new("php", "PHP web app with a front controller in public/index.php"),
        new("laravel", "Laravel 8 app (Blade page, API route), vendor/ from composer or Debian's Laravel at deploy"),
        new("scf", "one function in the Serverless Components format (component: scf)"),
        new("multi-scf", "several functions with an HTTP and a timer trigger (component: multi-scf)"),
        new("egg", "Egg.js web app (router, controller, config) run as one process, dependencies installed at deploy"),
    ];

    public static Starter? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The starter's files: path relative to the app folder ('/'-separated) and unrendered text.</summary>
    public static IReadOnlyList<(string Path, string Text)> Files(Starter starter)
    {
        var assembly = typeof(StarterCatalog).Assembly;
        var prefix = $"{ResourcePrefix}{starter.Name}/";
        var files = new List<(string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            var normalized = resource.Replace('\\', '/');
            if (!normalized.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            files.Add((normalized[prefix.Length..], Read(assembly, resource)));
        }

        return files;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded starter file {resource} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
