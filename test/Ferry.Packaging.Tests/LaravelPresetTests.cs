using System.Diagnostics;
using System.Text.Json;
using Ferry.Packaging.Frameworks;

namespace Ferry.Packaging.Tests;

/// <summary>
/// The laravel preset without Packagist: composer falls back to a vendor/autoload.php over Debian's Laravel (here a
/// stand-in folder laid out like /usr/share/php), which real PHP then runs against an app's composer.json autoload.
/// </summary>
public sealed class LaravelPresetTests : IDisposable
{
    private readonly TempDirectory _app = new();
    private readonly TempDirectory _system = new();
    private readonly List<BuildProgress> _lines = [];

    public LaravelPresetTests()
    {
        _system.WriteFile("Illuminate/Foundation/Application.php", "<?php\nclass Application\n{\n    const VERSION = '8.83.26';\n}\n");
        _system.WriteFile("Illuminate/autoload.php", """
            <?php
            require_once 'FerryStandIn/Log/autoload.php';
            function system_laravel_loaded(): string { return 'debian'; }
            """);
        _system.WriteFile("FerryStandIn/Log/autoload.php", "<?php\nfunction psr_log_loaded(): bool { return true; }\n");
        _app.WriteFile("public/index.php", "<?php");
    }

    public void Dispose()
    {
        _app.Dispose();
        _system.Dispose();
    }

    private FrameworkPlan Plan() => new LaravelPreset(_system.Path).Plan(new ProjectFiles(_app.Path), "test");

    private Task BuildAsync(FrameworkPlan plan) =>
        FrameworkBuilder.RunAsync(plan, new ProjectFiles(_app.Path), new InlineProgress(_lines.Add), CancellationToken.None);

    private static BuildStep WithCommand(FrameworkPlan plan, params string[] command) => plan.Steps[0] with { Command = command };

    [Fact]
    public void Debians_laravel_is_found_with_its_version()
    {
        var laravel = SystemLaravel.Find(_system.Path);

        Assert.Equal("8.83.26", laravel?.Version);
        Assert.Equal(8, laravel?.Major);
        Assert.Null(SystemLaravel.Find(_app.Path));
    }

    [Fact]
    public void Composer_comes_first_and_debians_laravel_is_its_fallback_with_the_forwarded_headers_applied()
    {
        _app.WriteFile("composer.json", """{ "require": { "laravel/framework": "^8.0" } }""");

        var plan = Plan();

        var install = Assert.Single(plan.Steps);
        Assert.Equal("composer", install.Command[0]);
        Assert.Equal("vendor/autoload.php for Debian's Laravel 8.83.26", install.Fallback?.Name);
        Assert.Equal("1", plan.Environment[LaravelPreset.ForwardedVariable]);
        Assert.Equal("/tmp/laravel-packages.php", plan.Environment["APP_PACKAGES_CACHE"]);
    }

    [Fact]
    public void An_app_key_is_made_once_per_folder_unless_env_sets_one()
    {
        _app.WriteFile("composer.json", """{ "require": { "laravel/framework": "^8.0" } }""");

        var key = Plan().Environment["APP_KEY"];
        Assert.StartsWith("base64:", key);
        Assert.Equal(32, Convert.FromBase64String(key["base64:".Length..]).Length);
        Assert.Equal(key, Plan().Environment["APP_KEY"]);
        Assert.Contains(Plan().Notes, note => note.Contains(LaravelAppKey.RelativePath, StringComparison.Ordinal));

        _app.WriteFile(".env", "APP_NAME=Harbour\nAPP_KEY=base64:c2VjcmV0LWZyb20tZW52LWZpbGUtMzItYnl0ZXMhIQ==\n");
        Assert.False(Plan().Environment.ContainsKey("APP_KEY"));
    }

    [Fact]
    public async Task Without_composer_the_generated_autoloader_loads_debians_laravel_and_the_apps_psr4_psr0_classmap_and_files()
    {
        _app.WriteFile("composer.json", """
            {
              "require": { "php": "^8.0", "laravel/framework": "^8.0" },
              "autoload": {
                "psr-4": { "App\\": "app/", "Database\\Seeders\\": ["database/seeders/"] },
                "psr-0": { "Legacy_": "lib/" },
                "classmap": ["database/old"],
                "files": ["./app/helpers.php"]
              }
            }
            """);
        _app.WriteFile("app/Http/Kernel.php", "<?php\nnamespace App\\Http;\nclass Kernel { public const NAME = 'kernel'; }\n");
        _app.WriteFile("database/seeders/BoatSeeder.php", "<?php\nnamespace Database\\Seeders;\nclass BoatSeeder {}\n");
        _app.WriteFile("lib/Legacy/Boat.php", "<?php\nclass Legacy_Boat {}\n");
        _app.WriteFile("database/old/anything.php", "<?php\nnamespace Old\\Stuff;\n$x = new class {};\nfinal class Mapped { public function k() { return self::class; } }\ninterface Shape {}\n");
        _app.WriteFile("app/helpers.php", "<?php\nfunction harbour(): string { return 'harbour'; }\n");
        _app.WriteFile("check.php", """
            <?php
            require __DIR__ . '/vendor/autoload.php';
            echo json_encode([
                'system' => system_laravel_loaded(),
                'deps' => psr_log_loaded(),
                'psr4' => App\Http\Kernel::NAME,
                'psr4list' => class_exists(Database\Seeders\BoatSeeder::class),
                'psr0' => class_exists('Legacy_Boat'),
                'classmap' => class_exists(Old\Stuff\Mapped::class) && interface_exists(Old\Stuff\Shape::class),
                'files' => harbour(),
                'missing' => class_exists('App\Nope'),
            ]);
            """);
        // A composer that can't be found: Ferry's autoloader is written instead, with a warning saying why.
        var plan = Plan();
        var step = WithCommand(plan, "ferry-no-composer-here");
        await BuildAsync(plan with { Steps = [step] });

        Assert.Contains(_lines, line => line.Warning && line.Text == "composer install: composer is not installed; vendor/autoload.php for Debian's Laravel 8.83.26 instead");
        Assert.True(SystemLaravelAutoload.IsGenerated(new ProjectFiles(_app.Path)));
        var result = JsonDocument.Parse(await RunPhpAsync("check.php")).RootElement;
        Assert.Equal("debian", result.GetProperty("system").GetString());
        Assert.True(result.GetProperty("deps").GetBoolean());
        Assert.Equal("kernel", result.GetProperty("psr4").GetString());
        Assert.True(result.GetProperty("psr4list").GetBoolean());
        Assert.True(result.GetProperty("psr0").GetBoolean());
        Assert.True(result.GetProperty("classmap").GetBoolean());
        Assert.Equal("harbour", result.GetProperty("files").GetString());
        Assert.False(result.GetProperty("missing").GetBoolean());

        // The next plan keeps Ferry's own vendor/ in step with composer.json rather than running composer.
        var next = Assert.Single(Plan().Steps);
        Assert.Equal("vendor/autoload.php for Debian's Laravel 8.83.26", next.Name);
        _lines.Clear();
        await BuildAsync(Plan());
        Assert.Contains(_lines, line => line.Text == "Build: vendor/autoload.php for Debian's Laravel 8.83.26 skipped (composer.json unchanged)");
    }

    [Fact]
    public async Task A_failing_composer_leaves_no_half_made_vendor_and_the_warning_names_its_error()
    {
        _app.WriteFile("composer.json", """{ "require": { "laravel/framework": "^8.0" } }""");
        var plan = Plan();
        var failing = WithCommand(plan, "sh", "-c",
            "mkdir -p vendor/composer; echo 'Loading composer repositories'; echo '  The \"https://repo.packagist.org/packages.json\" file could not be downloaded' >&2; echo 'install [--prefer-source]'; exit 1");

        await BuildAsync(plan with { Steps = [failing] });

        Assert.False(Directory.Exists(_app.Combine("vendor/composer")));
        var warning = Assert.Single(_lines, line => line.Warning);
        Assert.Contains("composer install failed with exit code 1", warning.Text);
        Assert.Contains("The \"https://repo.packagist.org/packages.json\" file could not be downloaded", warning.Text);
        Assert.True(File.Exists(_app.Combine("vendor/autoload.php")));
    }

    [Fact]
    public async Task A_vendor_folder_made_by_composer_is_never_touched()
    {
        _app.WriteFile("composer.json", """{ "require": { "laravel/framework": "^8.0" } }""");
        _app.WriteFile("vendor/autoload.php", "<?php // @generated by Composer\n");

        await BuildAsync(Plan());

        Assert.Equal("<?php // @generated by Composer\n", File.ReadAllText(_app.Combine("vendor/autoload.php")));
        Assert.Contains(_lines, line => line.Text == "Build: composer install skipped (vendor/ exists)");
    }

    [Fact]
    public async Task Another_laravel_version_and_packages_debian_does_not_give_are_warned_about()
    {
        _app.WriteFile("composer.json", """{ "require": { "php": "^8.2", "ext-json": "*", "laravel/framework": "^11.0", "laravel/sanctum": "^4.0" } }""");
        var plan = Plan();

        await BuildAsync(plan with { Steps = [WithCommand(plan, "ferry-no-composer-here")] });

        var warnings = _lines.Where(line => line.Warning).Select(line => line.Text).ToList();
        Assert.Contains("composer.json requires laravel/framework ^11.0, but Debian's is 8.83.26: the app may not run on it", warnings);
        Assert.Contains(warnings, text => text.StartsWith("composer.json also requires laravel/sanctum:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ \"autoload\": { \"psr-4\": { \"App\\\\\": \"../elsewhere/\" } } }", "composer.json: autoload.psr-4.\"App\\\" '../elsewhere/' points outside the app folder")]
    [InlineData("{ \"autoload\": { \"psr-4\": { \"App\": \"app/\" } } }", "composer.json: autoload.psr-4.\"App\" a PSR-4 prefix must end with a namespace separator (\\\\)")]
    [InlineData("{ \"autoload\": { \"files\": [\"app/missing.php\"] } }", "composer.json: autoload.files lists app/missing.php, which does not exist in")]
    [InlineData("{ \"autoload\": { \"classmap\": \"database\" } }", "composer.json: autoload.classmap must be a list of paths")]
    public void A_malformed_autoload_section_is_an_error_naming_composer_json(string composerJson, string message)
    {
        _app.WriteFile("composer.json", composerJson);

        var error = Assert.Throws<FrameworkException>(() => ComposerAutoload.Read(new ProjectFiles(_app.Path)));

        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("^8.0", true)]
    [InlineData("^8.75", true)]
    [InlineData("^8.84", false)]
    [InlineData("^9.0", false)]
    [InlineData("^7.0|^8.0", true)]
    [InlineData("^9.0 || ^10.0", false)]
    [InlineData("~8.83.0", true)]
    [InlineData("~8.0", true)]
    [InlineData("8.*", true)]
    [InlineData("8.83.*", true)]
    [InlineData("9.*", false)]
    [InlineData(">=8.0 <9.0", true)]
    [InlineData(">=8.0,<8.50", false)]
    [InlineData("8.83.26", true)]
    [InlineData("v8.83.26@stable", true)]
    [InlineData("*", true)]
    public void Composer_constraints_are_checked_against_the_installed_version(string constraint, bool allowed)
    {
        Assert.Equal(allowed, ComposerConstraint.Allows(constraint, "8.83.26"));
    }

    [Theory]
    [InlineData("dev-master")]
    [InlineData("8.0 - 9.0")]
    [InlineData("latest")]
    public void A_constraint_that_cannot_be_read_says_so(string constraint)
    {
        Assert.Null(ComposerConstraint.Allows(constraint, "8.83.26"));
    }

    private async Task<string> RunPhpAsync(string script)
    {
        var info = new ProcessStartInfo("php", [script]) { WorkingDirectory = _app.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        using var php = Process.Start(info)!;
        var output = php.StandardOutput.ReadToEndAsync();
        var error = php.StandardError.ReadToEndAsync();
        await php.WaitForExitAsync();
        Assert.True(php.ExitCode == 0, $"php {script} exited with {php.ExitCode}: {await output}{await error}");
        return await output;
    }

    private sealed class InlineProgress(Action<BuildProgress> report) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress value) => report(value);
    }
}
