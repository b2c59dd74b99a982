namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Nuxt: <c>nuxt build</c> (Nitro's node-server preset, Nuxt's default) on the developer's machine makes a standalone
/// <c>.output/</c> (the server with the dependencies it traced, and the public files), which Ferry's launcher starts on
/// $PORT with the app's base URL set to the path prefix (and serves under a custom domain's prefix too). Only <c>.output/</c> is needed at run time, so the app's
/// node_modules and Nuxt's <c>.nuxt/</c> build folder stay out of the package.
/// </summary>
public sealed class NuxtPreset : FrameworkPreset
{
    /// <summary>Where Nitro's node-server preset writes the server entry.</summary>
    public const string ServerEntry = ".output/server/index.mjs";

    private const string NuxtBin = "node_modules/nuxt/bin/nuxt.mjs";

    public override string Name => Manifest.Frameworks.FrameworkNames.Nuxt;

    public override string DetectedBy => "package.json dependency `nuxt`";

    public override string? Detect(ProjectFiles project) => NodeSteps.DependencyReason(project, "nuxt");

    public override FrameworkPlan Plan(ProjectFiles project, string reason) =>
        new(this, reason, ["node", $"{RuntimeFolder}/node/nuxt-launcher.mjs", ServerEntry],
            new Dictionary<string, string> { ["NODE_ENV"] = "production", ["NUXT_TELEMETRY_DISABLED"] = "1" },
            [.. NodeSteps.Install(project), NodeSteps.Build(project, ".output", "node", NuxtBin, "build")])
        {
            Notes = ["Nuxt's base URL is set to the path prefix when the app starts (NUXT_APP_BASE_URL, unless the function sets it): "
                + "pages, links and /_nuxt/ assets work under /{service}/{stage}/, and at a custom domain's / or path prefix the pages "
                + "are sent with that prefix in their URLs instead (.output/ must come from Nitro's node-server preset)"],
            PackageExcludes = ["!node_modules/**", "!.nuxt/**"],
        };
}
