using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Hub;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry template keygen | key register | publish | list | show | deprecate</c>: the provider's and the browser's side
/// of the template center.
/// </summary>
internal static class TemplateCommands
{
    private const string Description = """
        Publish app templates to the hub and browse them

        Examples:
          ferry template keygen                              create your signing key (~/.ferry/signing-key)
          ferry template key register                        let the hub verify packages you sign
          ferry template publish --changelog 'First version' sign ./ as a template and submit it for review
          ferry template list --search images                templates whose name or description matches
          ferry template show image-resizer                  description, versions and parameters
        """;

    public static Command Create(CliContext context, GlobalOptions globals) => new("template", Description)
    {
        Keygen(context),
        Key(context, globals),
        Publish(context, globals),
        List(context, globals),
        Show(context, globals),
        Deprecate(context, globals),
    };

    private static Option<string?> KeyFileOption() => new("--key")
    {
        Description = $"Private signing key file (default {SigningKeyFile.DefaultLocation})",
        HelpName = "file",
    };

    private static Command Keygen(CliContext context)
    {
        var outFile = new Option<string?>("--out")
        {
            Description = $"Where to write the private key (default {SigningKeyFile.DefaultLocation}); it is created readable by you only",
            HelpName = "file",
        };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file (the old key is lost)" };
        var command = new Command("keygen", """
            Create an ed25519 key to sign the templates you publish, and print its public key

            Examples:
              ferry template keygen                         write ~/.ferry/signing-key
              ferry template keygen --out ci-key --force    write ./ci-key, replacing it
            """) { outFile, force };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var explicitPath = parseResult.GetValue(outFile);
            var path = SigningKeyFile.ResolvePath(explicitPath, context);
            using var key = TemplateSigningKey.Generate();
            await SigningKeyFile.WriteAsync(path, key, parseResult.GetValue(force), cancellationToken);

            var cli = new CliOutput(context, OutputFormat.Text);
            cli.WriteLine($"Public key: {key.PublicKey.Export()}");
            cli.WriteLine($"Key id:     {key.KeyId}");
            var register = explicitPath is null ? "ferry template key register" : $"ferry template key register --key {explicitPath}";
            cli.WriteNote($"Wrote the private key to {path} (mode 0600): keep it secret. Register the public key with: {register}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Key(CliContext context, GlobalOptions globals)
    {
        var keyFile = KeyFileOption();
        var output = CommonOptions.Output();
        var register = new Command("register", """
            Register your signing key's public half with the hub (provider); only the public key is sent

            Example:
              ferry template key register --key ci-key
            """) { keyFile, output };
        register.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var cli = new CliOutput(context, parseResult.GetValue(output));
            var path = SigningKeyFile.ResolvePath(parseResult.GetValue(keyFile), context);
            using var key = await SigningKeyFile.ReadAsync(path, cli, cancellationToken);
            using var client = globals.CreateClient(parseResult, context);
            var registered = await client.PostJsonAsync<RegisterKeyRequest, SigningKeyInfo>(
                "signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), cancellationToken);
            if (cli.IsJson)
            {
                cli.WriteJson(registered);
            }
            else
            {
                cli.WriteLine($"Registered signing key {registered.KeyId} for tenant {registered.Tenant}.");
            }

            return ExitCodes.Success;
        });

        return new Command("key", "Manage the signing keys the hub accepts") { register };
    }

    private static Command Publish(CliContext context, GlobalOptions globals)
    {
        var directory = new Option<string?>("--dir")
        {
            Description = "Template folder: an app whose serverless.yml has a template: section (default: the current folder)",
            HelpName = "dir",
        };
        var keyFile = KeyFileOption();
        var changelog = new Option<string?>("--changelog") { Description = "What changed in this version (shown to reviewers and to consumers before upgrading)", HelpName = "text" };
        var output = CommonOptions.Output();
        var command = new Command("publish", """
            Package the template folder, sign it and submit the version for review (provider)

            Examples:
              ferry template publish --changelog 'Adds webp output'
              ferry template publish --dir templates/resizer --key ci-key
            """) { directory, keyFile, changelog, output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var cli = new CliOutput(context, parseResult.GetValue(output));
            var templateDirectory = context.ResolvePath(parseResult.GetValue(directory) ?? ".");
            var manifestPath = Path.Combine(templateDirectory, TemplateDefinitionReader.ManifestFileName);
            if (!File.Exists(manifestPath))
            {
                throw new CliUserException($"No {TemplateDefinitionReader.ManifestFileName} in {templateDirectory}; run in the template's folder or pass --dir.");
            }

            using var key = await SigningKeyFile.ReadAsync(SigningKeyFile.ResolvePath(parseResult.GetValue(keyFile), context), cli, cancellationToken);
            var definition = TemplateDefinitionReader.Read(manifestPath).Definition;

            using var client = globals.CreateClient(parseResult, context);
            var publication = await PublishAsync(templateDirectory, definition, key, parseResult.GetValue(changelog), client, cli, cancellationToken);
            if (cli.IsJson)
            {
                cli.WriteJson(publication.Version);
            }
            else if (publication.AlreadyPublished)
            {
                cli.WriteLine($"{definition.Id} was already published with identical content ({publication.Version.Status}).");
            }
            else
            {
                cli.WriteLine(cli.Paint($"Submitted {definition.Id} for review ({publication.Version.Status}).", AnsiStyle.Green));
                cli.WriteNote($"A reviewer approves it with: ferry review approve {definition.Id}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<TemplatePublication> PublishAsync(
        string templateDirectory, TemplateDefinition definition, TemplateSigningKey key, string? changelog,
        FerryApiClient client, CliOutput cli, CancellationToken cancellationToken)
    {
        var packagePath = Path.Combine(Path.GetTempPath(), $"ferry-template-{Guid.NewGuid():N}.zip");
        await using var package = new FileStream(
            packagePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 81920,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);

        var packaging = cli.StartStatus();
        packaging.Update($"Packaging {definition.Id}…");
        TemplatePackageSummary summary;
        try
        {
            summary = await TemplatePackager.CreateAsync(templateDirectory, key, package, cancellationToken);
            await package.FlushAsync(cancellationToken);
        }
        catch
        {
            packaging.Clear();
            throw;
        }

        packaging.Complete($"Packaged {definition.Id}: {summary.Files.Count} files, {ByteSize.Format(package.Length)}, signed with key {summary.KeyId}");
        foreach (var warning in summary.Warnings)
        {
            cli.WriteWarning(warning.ToString());
        }

        package.Position = 0;
        var upload = cli.StartStatus();
        var total = ByteSize.Format(package.Length);
        try
        {
            return await client.PublishTemplateAsync(
                package,
                string.IsNullOrWhiteSpace(changelog) ? null : changelog.Trim(),
                new SynchronousProgress<long>(sent => upload.Update($"Uploading… {ByteSize.Format(sent)} of {total}")),
                cancellationToken);
        }
        finally
        {
            upload.Clear();
        }
    }

    private static Command List(CliContext context, GlobalOptions globals)
    {
        var search = new Option<string?>("--search") { Description = "Only templates whose name, description or labels contain this text", HelpName = "text" };
        var output = CommonOptions.Output();
        var command = new Command("list", "List the templates on the hub (consumers see approved versions only)") { search, output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var query = parseResult.GetValue(search) is { Length: > 0 } text ? "?search=" + Uri.EscapeDataString(text) : "";
            using var client = globals.CreateClient(parseResult, context);
            var templates = await client.GetJsonAsync<List<TemplateSummary>>("templates" + query, cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(templates);
                return ExitCodes.Success;
            }

            if (templates.Count == 0)
            {
                cli.WriteLine(query.Length == 0 ? "No templates yet; publish one with `ferry template publish`." : "No template matches.");
                return ExitCodes.Success;
            }

            var table = new TextTable("NAME", "LATEST", "PROVIDER", "LABELS", "DESCRIPTION");
            foreach (var template in templates.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                table.AddRow(template.Name, template.LatestVersion ?? "-", template.Provider,
                    template.Labels.Count == 0 ? "-" : string.Join(",", template.Labels), template.Description);
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context, GlobalOptions globals)
    {
        var template = TemplateReference.Argument("template", versionRequired: false,
            "Template name; add @VERSION to see that version's parameters (default: the newest approved version)");
        var output = CommonOptions.Output();
        var command = new Command("show", """
            Show a template: description, versions with their review status, parameters and README

            Examples:
              ferry template show image-resizer
              ferry template show image-resizer@1.1.0 --output json
            """) { template, output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var reference = parseResult.GetValue(template)!;
            using var client = globals.CreateClient(parseResult, context);
            var info = await client.GetJsonAsync<TemplateInfo>($"templates/{Uri.EscapeDataString(reference.Name)}", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            var shown = SelectVersion(info, reference);
            if (cli.IsJson)
            {
                cli.WriteJson(info);
                return ExitCodes.Success;
            }

            RenderTemplate(info, shown, cli);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The requested version, else the newest approved one, else the newest; null when the template has none.</summary>
    private static TemplateVersionInfo? SelectVersion(TemplateInfo info, TemplateReference reference)
    {
        if (reference.Version is { } requested)
        {
            return info.Versions.FirstOrDefault(v => v.Version == requested)
                ?? throw new CliUserException(
                    $"Template {info.Name} has no version {requested}; it has {(info.Versions.Count == 0 ? "none" : string.Join(", ", info.Versions.Select(v => v.Version)))}.");
        }

        var newestFirst = TemplateRendering.NewestFirst(info.Versions).ToList();
        return newestFirst.FirstOrDefault(v => v.Status == "approved") ?? newestFirst.FirstOrDefault();
    }

    private static void RenderTemplate(TemplateInfo info, TemplateVersionInfo? shown, CliOutput cli)
    {
        cli.WriteLine($"{cli.Paint(info.Name, AnsiStyle.Bold)} — {info.Description}");
        var facts = new List<string> { $"provider {info.Provider}" };
        if (info.Author is { } author)
        {
            facts.Add($"author {author}");
        }

        if (info.License is { } license)
        {
            facts.Add($"license {license}");
        }

        if (info.Labels.Count > 0)
        {
            facts.Add($"labels {string.Join(", ", info.Labels)}");
        }

        cli.WriteLine(string.Join(", ", facts));

        cli.WriteLine();
        cli.WriteHeading("Versions");
        if (info.Versions.Count == 0)
        {
            cli.WriteLine("  (none visible to you)");
        }
        else
        {
            TemplateRendering.WriteVersions(info.Versions, cli);
        }

        if (shown is not null)
        {
            cli.WriteLine();
            cli.WriteHeading($"Parameters of {shown.Version}");
            TemplateRendering.WriteParameters(shown.Parameters, cli);
            if (shown.ClosedSourceFunctions.Count > 0)
            {
                cli.WriteLine($"  Closed-source functions: {string.Join(", ", shown.ClosedSourceFunctions)}");
            }
        }

        if (!string.IsNullOrWhiteSpace(info.Readme))
        {
            cli.WriteLine();
            cli.WriteHeading("README");
            TemplateRendering.WriteIndented(info.Readme, cli);
        }
    }

    private static Command Deprecate(CliContext context, GlobalOptions globals)
    {
        var template = TemplateReference.Argument("template", versionRequired: true, "The version to deprecate, as NAME@VERSION");
        var comment = new Option<string?>("--comment") { Description = "Why (shown to consumers)", HelpName = "text" };
        var command = new Command("deprecate", """
            Deprecate a template version (reviewer): apps that use it keep running, new installs should pick another

            Example:
              ferry template deprecate image-resizer@1.0.0 --comment 'Use 1.1.0: fixes CVE-2024-1234'
            """) { template, comment };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var reference = parseResult.GetValue(template)!;
            using var client = globals.CreateClient(parseResult, context);
            var version = await client.PostJsonAsync<ReviewDecision, TemplateVersionInfo>(
                reference.VersionPath + "/deprecate", new ReviewDecision(parseResult.GetValue(comment)), cancellationToken);
            context.Out.WriteLine($"Deprecated {version.Template}@{version.Version} ({version.Status}).");
            return ExitCodes.Success;
        });
        return command;
    }
}
