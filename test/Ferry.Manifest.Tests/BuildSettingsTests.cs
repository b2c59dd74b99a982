namespace Ferry.Manifest.Tests;

/// <summary><c>plugins</c> and <c>custom.esbuild</c>: what the CLI's esbuild step reads, and the warnings for what it ignores.</summary>
public sealed class BuildSettingsTests
{
    private const string Base = """
        service: app
        provider:
          name: aws
          runtime: nodejs18.x
        functions:
          hello:
            handler: handler.hello

        """;

    [Fact]
    public void Bundling_plugins_are_read_and_other_plugins_are_named_in_one_warning()
    {
        var result = Manifests.Load(Base + "plugins:\n  - serverless-offline\n  - serverless-esbuild\n  - serverless-dotenv-plugin\n");

        Assert.Equal(["serverless-offline", "serverless-esbuild", "serverless-dotenv-plugin"], result.Manifest.Build.Plugins);
        Assert.Equal("serverless-esbuild", result.Manifest.Build.BundlingPlugin);
        var warning = Assert.Single(result.Warnings, w => w.Message.Contains("plugins", StringComparison.Ordinal));
        Assert.Contains("serverless-offline, serverless-dotenv-plugin are not run by Ferry", warning.Message);
        Assert.Equal(8, warning.Location!.Line);
    }

    [Fact]
    public void Plugins_in_the_modules_form_are_read()
    {
        var manifest = Manifests.LoadManifest(Base + "plugins:\n  localPath: ./plugins\n  modules:\n    - serverless-plugin-typescript\n");

        Assert.Equal("serverless-plugin-typescript", manifest.Build.BundlingPlugin);
    }

    [Fact]
    public void Only_bundling_plugins_give_no_warning()
    {
        var result = Manifests.Load(Base + "plugins:\n  - serverless-plugin-typescript\n");

        Assert.DoesNotContain(result.Warnings, w => w.Message.Contains("plugins", StringComparison.Ordinal));
    }

    [Fact]
    public void Esbuild_options_that_matter_are_read_and_the_others_are_named()
    {
        var result = Manifests.Load(Base + """
            custom:
              other: ${ssm:/not/resolved}
              esbuild:
                bundle: true
                minify: false
                sourcemap: inline
                target: node20
                keepNames: true
                external: ['pg-native']
                exclude: ['aws-sdk', '@aws-sdk/client-s3']
                packager: yarn
                watch:
                  pattern: ['src/**/*.ts']
            """);

        var esbuild = result.Manifest.Build.Esbuild;
        Assert.True(esbuild.Bundle);
        Assert.False(esbuild.Minify);
        Assert.True(esbuild.KeepNames);
        Assert.Equal("inline", esbuild.Sourcemap);
        Assert.Equal("node20", esbuild.Target);
        Assert.Equal(["pg-native"], esbuild.External);
        Assert.Equal(["aws-sdk", "@aws-sdk/client-s3"], esbuild.Exclude);
        var ignored = result.Warnings.Where(w => w.Message.Contains("esbuild step; ignored", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, ignored.Count);
        Assert.Contains("'custom.esbuild.packager'", ignored[0].Message);
        Assert.Equal(18, ignored[0].Location!.Line);
        Assert.Contains("'custom.esbuild.watch'", ignored[1].Message);
    }

    [Fact]
    public void A_bad_esbuild_value_is_an_error_at_its_line()
    {
        var error = Manifests.SingleError(Base + "custom:\n  esbuild:\n    minify: sometimes\n");

        Assert.Contains("custom.esbuild.minify must be true or false", error.Message);
        Assert.Equal(10, error.Location!.Line);
    }

    [Fact]
    public void A_module_name_with_shell_or_option_characters_is_refused()
    {
        var error = Manifests.SingleError(Base + "custom:\n  esbuild:\n    external: ['--outdir']\n");

        Assert.Contains("not a module name", error.Message);
    }

    [Fact]
    public void Build_settings_are_not_sent_to_the_server()
    {
        var manifest = Manifests.LoadManifest(Base + "plugins: [serverless-esbuild]\n");

        Assert.DoesNotContain("serverless-esbuild", ServiceManifestJson.Serialize(manifest));
    }
}
