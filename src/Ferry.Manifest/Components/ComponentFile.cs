using Ferry.Manifest.Loading;
using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Components;

/// <summary>
/// What a folder of a multi-component app is, read without resolving it: its component instance's <c>name</c>, its
/// <c>app</c>, and the instances whose outputs it reads — enough to deploy an app's components in order.
/// </summary>
public sealed record ComponentFile(string Path, string Name, string? App, IReadOnlyList<string> Needs)
{
    /// <summary>A database component (<c>component: postgresql</c>): its connection outputs name the database (<see cref="DatabaseComponentOutput"/>).</summary>
    public bool IsDatabase { get; init; }

    /// <summary>The file's header, or null when it is not in the Components format (a plain serverless.yml).</summary>
    /// <exception cref="ManifestException">The file can't be read or is not valid YAML.</exception>
    public static ComponentFile? TryRead(string path)
    {
        var text = File.ReadAllText(path);
        if (text.Length > ManifestLoader.MaxFileBytes)
        {
            throw new ManifestException([new ManifestDiagnostic(null, $"{path} is larger than {ManifestLoader.MaxFileBytes:N0} bytes")]);
        }

        var diagnostics = new DiagnosticBag(System.IO.Path.GetFileName(path));
        var root = YamlDocumentReader.ReadRootMapping(text, System.IO.Path.GetFileName(path), diagnostics);
        diagnostics.ThrowIfErrors();
        if (!ComponentTranslator.IsComponentFile(root!))
        {
            return null;
        }

        var name = ComponentTranslator.Text(ComponentTranslator.Child(root!, "name"));
        if (string.IsNullOrEmpty(name))
        {
            throw new ManifestException([new ManifestDiagnostic(Locations.Of(root!, System.IO.Path.GetFileName(path)),
                "'name' is required: the component instance's name, for example 'name: shop-api'")]);
        }

        return new ComponentFile(path, name, ComponentTranslator.Text(ComponentTranslator.Child(root!, "app")),
            [.. ComponentOutputReference.InstancesReferencedIn(text).Where(n => n != name)])
        {
            IsDatabase = ComponentTranslator.Text(ComponentTranslator.Child(root!, "component")) is { } component
                && ComponentKinds.Find(component) == ComponentKind.Database,
        };
    }
}
