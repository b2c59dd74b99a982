using Ferry.Manifest.Frameworks;

namespace Ferry.Packaging.Frameworks;

/// <summary>The framework presets, in the order detection tries them (the more specific first).</summary>
public static class FrameworkCatalog
{
    public static IReadOnlyList<FrameworkPreset> Presets { get; } =
    [
        new NextJsPreset(),
        new NuxtPreset(),
        new NestPreset(),
        new EggPreset(), // before koa: an egg app may list koa middleware among its dependencies
        new NodeServerPreset(FrameworkNames.Koa, "koa"),
        new NodeServerPreset(FrameworkNames.Express, "express"),
        new DjangoPreset(),
        new FlaskPreset(),
        new LaravelPreset(),
        new PlainPhpPreset(),
    ];

    public static FrameworkPreset? Find(string name) => Presets.FirstOrDefault(preset => preset.Name == name);

    /// <summary>
    /// The plan of the preset named <paramref name="framework"/> (from <c>framework:</c>), or of the first preset that
    /// detects <paramref name="project"/> when it is null.
    /// </summary>
    /// <exception cref="FrameworkException">Unknown name, nothing detected, or the project lacks what the preset needs.</exception>
    public static FrameworkPlan Plan(string? framework, ProjectFiles project)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (framework is not null)
        {
            var named = Find(framework) ?? throw new FrameworkException($"unknown framework '{framework}'; known: {FrameworkNames.Supported}");
            return named.Plan(project, $"framework: {framework}");
        }

        foreach (var preset in Presets)
        {
            if (preset.Detect(project) is { } reason)
            {
                return preset.Plan(project, reason);
            }
        }

        throw new FrameworkException(
            $"no framework detected in {project.Directory} (looked for: {string.Join("; ", Presets.Select(p => $"{p.Name}: {p.DetectedBy}"))}); "
            + "name one with 'framework:' or give the web function a 'command' that starts an HTTP server on $PORT");
    }
}
