using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Manifest;
using Ferry.Manifest.Components;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry deploy</c> in the root folder of a multi-component app (Serverless Components format): each sub-folder
/// holds one component; they are deployed one after another so that a component is deployed after every component
/// whose outputs (<c>${output:…}</c>) it reads, and those outputs are filled in from the deploys just made.
/// </summary>
internal static class ComponentAppDeploy
{
    /// <summary>The components in the sub-folders of <paramref name="root"/>, in deploy order; empty when there are none.</summary>
    /// <exception cref="CliUserException">Two components share a name, belong to different apps, or read each other's outputs in a cycle.</exception>
    public static IReadOnlyList<ComponentFile> FindInDeployOrder(string root)
    {
        var components = new List<ComponentFile>();
        foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(folder).StartsWith('.') || Path.GetFileName(folder) == "node_modules")
            {
                continue;
            }

            if (CommonOptions.FindManifest(folder) is { } manifest && ComponentFile.TryRead(manifest) is { } component)
            {
                components.Add(component);
            }
        }

        if (components.Count == 0)
        {
            return components;
        }

        foreach (var twins in components.GroupBy(c => c.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new CliUserException($"Components in {string.Join(" and ", twins.Select(c => Path.GetRelativePath(root, c.Path)))} are both named '{twins.Key}'; each component of an app needs its own name.");
        }

        var apps = components.Select(c => c.App ?? c.Name).Distinct(StringComparer.Ordinal).ToList();
        if (apps.Count > 1)
        {
            throw new CliUserException($"The components under {root} belong to different apps ({string.Join(", ", apps)}); deploy them from their own folders, or give them the same 'app'.");
        }

        return Order(components, root);
    }

    /// <summary>Deploys each component with the outputs of those before it.</summary>
    public static async Task<IReadOnlyList<DeploymentResult>> DeployAsync(IReadOnlyList<ComponentFile> components, DeployCommand.DeployRequest request,
        FerryApiClient client, CliOutput cli, CliContext context, CancellationToken cancellationToken)
    {
        var outputs = new Dictionary<(string Stage, string Instance), IReadOnlyDictionary<string, string>>();
        var results = new List<DeploymentResult>();
        for (var i = 0; i < components.Count; i++)
        {
            var component = components[i];
            if (!cli.IsJson)
            {
                cli.WriteLine(cli.Paint($"[{i + 1}/{components.Count}] {component.Name} ({Path.GetRelativePath(request.AppDirectory, Path.GetDirectoryName(component.Path)!)})", AnsiStyle.Bold));
            }

            var result = await DeployCommand.DeployAsync(
                request with
                {
                    AppDirectory = Path.GetDirectoryName(component.Path)!,
                    ConfigPath = component.Path,
                    ComponentOutput = reference => outputs.TryGetValue((reference.Stage, reference.Instance), out var values)
                        && values.TryGetValue(reference.Key, out var value) ? value : null,
                },
                client, cli, context, cancellationToken);
            outputs[(result.Stage, component.Name)] = OutputsOf(result, component);
            results.Add(result);
        }

        return results;
    }

    /// <summary>
    /// What a deployed component offers to others: its URL (also under Tencent's <c>apigw.url</c>), stage and region;
    /// a database component offers its connection (<c>connectionString</c>, <c>url</c>, …) as a reference to the
    /// database, never the URL with its password.
    /// </summary>
    public static IReadOnlyDictionary<string, string> OutputsOf(DeploymentResult result, ComponentFile component) =>
        Outputs(result.Service, result.Stage, result.Region, result.BaseUrl, component);

    /// <inheritdoc cref="OutputsOf(DeploymentResult, ComponentFile)"/>
    public static IReadOnlyDictionary<string, string> OutputsOf(AppInfo info, ComponentFile component) =>
        Outputs(info.Service, info.Stage, info.Region, info.BaseUrl, component);

    private static Dictionary<string, string> Outputs(string service, string stage, string region, string baseUrl, ComponentFile component)
    {
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (component.IsDatabase)
        {
            // The database component declares one database named after its instance (which is its service).
            var database = new DatabaseComponentOutput(service, stage, region, service).ToString();
            foreach (var key in DatabaseComponentOutput.ConnectionKeys)
            {
                outputs[key] = database;
            }
        }
        else
        {
            outputs["url"] = baseUrl;
            outputs["apigw.url"] = baseUrl;
        }

        outputs["service"] = service;
        outputs["stage"] = stage;
        outputs["region"] = region;
        return outputs;
    }

    private static List<ComponentFile> Order(List<ComponentFile> components, string root)
    {
        var byName = components.ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (var component in components)
        {
            if (component.Needs.FirstOrDefault(n => !byName.ContainsKey(n)) is { } missing)
            {
                throw new CliUserException($"{Path.GetRelativePath(root, component.Path)} reads outputs of '{missing}', which is not a component under {root} ({string.Join(", ", byName.Keys)}).");
            }
        }

        var ordered = new List<ComponentFile>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: visiting, true: done
        void Visit(ComponentFile component, List<string> path)
        {
            if (state.TryGetValue(component.Name, out var done))
            {
                if (!done)
                {
                    throw new CliUserException($"Components read each other's outputs in a cycle: {string.Join(" → ", path.Append(component.Name))}; one of them must not depend on the other.");
                }

                return;
            }

            state[component.Name] = false;
            foreach (var need in component.Needs)
            {
                Visit(byName[need], [.. path, component.Name]);
            }

            state[component.Name] = true;
            ordered.Add(component);
        }

        foreach (var component in components)
        {
            Visit(component, []);
        }

        return ordered;
    }
}
