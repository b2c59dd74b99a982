namespace Ferry.Packaging.Frameworks;

/// <summary>PHP apps with a front controller, served by PHP's built-in server (Debian's php-cli) and Ferry's router.</summary>
public abstract class PhpPreset : FrameworkPreset
{
    protected IReadOnlyList<string> Serve(string documentRoot) =>
        ["sh", "-c", $"exec php -S \"$HOST:$PORT\" -t {documentRoot} {RuntimeFolder}/php/router.php"];
}

/// <summary>Laravel: <c>composer install</c> when vendor/ is missing, then <c>public/index.php</c>.</summary>
public sealed class LaravelPreset : PhpPreset
{
    public override string Name => Manifest.Frameworks.FrameworkNames.Laravel;

    public override string DetectedBy => "composer.json requiring `laravel/framework`";

    public override string? Detect(ProjectFiles project) =>
        project.HasComposerPackage("laravel/framework") ? "composer.json requires laravel/framework" : null;

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        if (!project.HasFile("public/index.php"))
        {
            throw new FrameworkException("a Laravel app needs public/index.php (its front controller)");
        }

        var install = new BuildStep("composer install", ["composer", "install", "--no-dev", "--optimize-autoloader", "--no-interaction"],
            BuildInputs.Of(project.HasFile("composer.lock") ? "composer.lock" : "composer.json"), "vendor")
        {
            OnlyWhenOutputMissing = true,
            MissingToolHint = "vendor/ is missing and composer is not installed on this machine: install it (Debian: apt-get install composer) or run 'composer install' where it is",
        };

        // The code folder is read-only in the sandbox: logs go to stderr, compiled views and caches to /tmp.
        var environment = new Dictionary<string, string>
        {
            ["LOG_CHANNEL"] = "stderr",
            ["VIEW_COMPILED_PATH"] = "/tmp",
            ["SESSION_DRIVER"] = "cookie",
            ["CACHE_STORE"] = "array",
            ["CACHE_DRIVER"] = "array",
        };
        return new FrameworkPlan(this, reason, Serve("public"), environment, [install]);
    }
}

/// <summary>Any PHP app with <c>public/index.php</c> (or <c>index.php</c>) as its front controller.</summary>
public sealed class PlainPhpPreset : PhpPreset
{
    public override string Name => Manifest.Frameworks.FrameworkNames.Php;

    public override string DetectedBy => "`public/index.php` or `index.php`";

    public override string? Detect(ProjectFiles project) =>
        project.HasFile("public/index.php") ? "public/index.php exists" : project.HasFile("index.php") ? "index.php exists" : null;

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        var root = project.HasFile("public/index.php") ? "public"
            : project.HasFile("index.php") ? "."
            : throw new FrameworkException("a PHP app needs a front controller: public/index.php or index.php");
        return new FrameworkPlan(this, reason, Serve(root), new Dictionary<string, string>(), []);
    }
}
