namespace Ferry.Packaging.Frameworks;

/// <summary>PHP apps with a front controller, served by PHP's built-in server (Debian's php-cli) and Ferry's router.</summary>
public abstract class PhpPreset : FrameworkPreset
{
    protected IReadOnlyList<string> Serve(string documentRoot) =>
        ["sh", "-c", $"exec php -S \"$HOST:$PORT\" -t {documentRoot} {RuntimeFolder}/php/router.php"];
}

/// <summary>
/// Laravel: <c>composer install</c> when vendor/ is missing; when composer is not installed or fails (Packagist out of
/// reach) and Debian's <c>php-laravel-framework</c> is, a <c>vendor/autoload.php</c> that loads it instead
/// (<see cref="SystemLaravelAutoload"/>). Served from <c>public/index.php</c> with the gateway's prefix, host and scheme
/// applied (<c>FERRY_PHP_FORWARDED</c>), so generated URLs are the public ones; caches, logs and compiled views go
/// where the read-only code folder is not.
/// </summary>
public sealed class LaravelPreset(string systemPhpFolder) : PhpPreset
{
    public LaravelPreset()
        : this(SystemLaravel.DebianPhpFolder)
    {
    }

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

        var system = SystemLaravel.Find(systemPhpFolder);
        var notes = new List<string>();
        BuildStep step;
        if (SystemLaravelAutoload.IsGenerated(project))
        {
            // Ferry's own vendor/autoload.php from an earlier deploy: kept in step with composer.json.
            step = system is null
                ? throw new FrameworkException(
                    $"{SystemLaravelAutoload.RelativePath} was written by Ferry to load Debian's Laravel, which is no longer installed under {systemPhpFolder}: "
                    + $"apt-get install {SystemLaravel.DebianPackage}, or delete vendor/ and deploy where composer can install the app's packages")
                : SystemAutoloadStep(project, system);
        }
        else
        {
            var hasFallback = system is not null;
            step = new BuildStep("composer install", ["composer", "install", "--no-dev", "--optimize-autoloader", "--no-interaction"],
                BuildInputs.Of(project.HasFile("composer.lock") ? "composer.lock" : "composer.json"), "vendor")
            {
                OnlyWhenOutputMissing = true,
                MissingToolHint = hasFallback
                    ? "composer is not installed"
                    : "vendor/ is missing and composer is not installed on this machine: install it (Debian: apt-get install composer) or run 'composer install' where it is; "
                      + $"without Packagist, apt-get install {SystemLaravel.DebianPackage} and Ferry loads Debian's Laravel instead",
                Fallback = system is null ? null : SystemAutoloadStep(project, system),
            };
        }

        // The code folder is read-only in the sandbox: logs go to stderr, compiled views and Laravel's bootstrap caches
        // (package manifest, services, config, routes, events) to /tmp, sessions to cookies, the cache to memory.
        var environment = new Dictionary<string, string>
        {
            ["LOG_CHANNEL"] = "stderr",
            ["VIEW_COMPILED_PATH"] = "/tmp",
            ["APP_PACKAGES_CACHE"] = "/tmp/laravel-packages.php",
            ["APP_SERVICES_CACHE"] = "/tmp/laravel-services.php",
            ["APP_CONFIG_CACHE"] = "/tmp/laravel-config.php",
            ["APP_ROUTES_CACHE"] = "/tmp/laravel-routes.php",
            ["APP_EVENTS_CACHE"] = "/tmp/laravel-events.php",
            ["SESSION_DRIVER"] = "cookie",
            ["CACHE_STORE"] = "array",
            ["CACHE_DRIVER"] = "array",
            [ForwardedVariable] = "1",
        };
        if (LaravelAppKey.Find(project) is null)
        {
            environment["APP_KEY"] = LaravelAppKey.ForFolder(project);
            notes.Add($"APP_KEY: none in .env, so Ferry made one for this app folder and keeps it in {LaravelAppKey.RelativePath} (never packaged); "
                + "set APP_KEY in the function's environment to use your own");
        }

        return new FrameworkPlan(this, reason, Serve("public"), environment, [step]) { Notes = notes };
    }

    /// <summary>Makes router.php apply the gateway's X-Forwarded-Prefix/-Host/-Proto to the request, as for an app installed at that URL.</summary>
    public const string ForwardedVariable = "FERRY_PHP_FORWARDED";

    private static BuildStep SystemAutoloadStep(ProjectFiles project, SystemLaravel system) =>
        new($"vendor/autoload.php for Debian's Laravel {system.Version}", [], BuildInputs.Of("composer.json"), "vendor")
        {
            Action = async (app, progress, cancellationToken) =>
            {
                if (app.ComposerJson is { } json && json.TryGetProperty("require", out var require) && require.ValueKind == System.Text.Json.JsonValueKind.Object)
                {
                    foreach (var warning in RequireWarnings(require, system))
                    {
                        progress.Report(new BuildProgress(warning, false, Warning: true));
                    }
                }

                var text = SystemLaravelAutoload.Render(ComposerAutoload.Read(app), system);
                await SystemLaravelAutoload.WriteAsync(app, text, cancellationToken);
            },
        };

    /// <summary>What composer.json's <c>require</c> asks for that Debian's Laravel does not give.</summary>
    internal static IEnumerable<string> RequireWarnings(System.Text.Json.JsonElement require, SystemLaravel system)
    {
        var others = new List<string>();
        foreach (var package in require.EnumerateObject())
        {
            if (package.Name == "laravel/framework")
            {
                var constraint = package.Value.ValueKind == System.Text.Json.JsonValueKind.String ? package.Value.GetString()! : "";
                switch (ComposerConstraint.Allows(constraint, system.Version))
                {
                    case false:
                        yield return $"composer.json requires laravel/framework {constraint}, but Debian's is {system.Version}: the app may not run on it";
                        break;
                    case null:
                        yield return $"composer.json requires laravel/framework '{constraint}', which Ferry can't compare with Debian's {system.Version}";
                        break;
                }
            }
            else if (package.Name != "php" && !package.Name.StartsWith("ext-", StringComparison.Ordinal) && !package.Name.StartsWith("illuminate/", StringComparison.Ordinal))
            {
                others.Add(package.Name);
            }
        }

        if (others.Count > 0)
        {
            yield return $"composer.json also requires {string.Join(", ", others)}: Ferry loads only Debian's Laravel and the packages it needs, so classes of these are missing unless Debian's own packages of them are installed and loaded";
        }
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
