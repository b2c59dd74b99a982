using System.Text.Json.Serialization;

namespace Ferry.Hub;

/// <summary>
/// The <c>template:</c> section of a template's <c>serverless.yml</c>: what the hub lists and what a consumer fills in.
/// Read from YAML by <see cref="TemplateDefinitionReader"/>; stored as JSON inside a package's <c>template.json</c>.
/// </summary>
public sealed record TemplateDefinition
{
    /// <summary>Shown in errors about a malformed name.</summary>
    public const string NameRule = "2-63 lowercase letters, digits or '-', starting with a letter";

    /// <summary>The template's name on the hub (<c>^[a-z][a-z0-9-]{1,62}$</c>).</summary>
    public required string Name { get; init; }

    public required SemanticVersion Version { get; init; }

    public required string Description { get; init; }

    /// <summary>The README's Markdown text (read from the file <c>template.readme</c> names, or written inline); null when there is none.</summary>
    public string? Readme { get; init; }

    public string? Author { get; init; }

    /// <summary>A license name, typically an SPDX identifier such as <c>MIT</c>.</summary>
    public string? License { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Parameters in declaration order; the app reads them as <c>${param:NAME}</c>.</summary>
    public IReadOnlyList<TemplateParameter> Parameters { get; init; } = [];

    /// <summary>Functions shipped as compiled code whose files must never be offered for download or display.</summary>
    public IReadOnlyList<ClosedSourceFunction> ClosedSource { get; init; } = [];

    /// <summary><c>name@version</c>.</summary>
    [JsonIgnore]
    public string Id => $"{Name}@{Version}";

    public TemplateParameter? FindParameter(string name) =>
        Parameters.FirstOrDefault(parameter => string.Equals(parameter.Name, name, StringComparison.Ordinal));
}

/// <summary>One value a consumer supplies at install time (<c>--param NAME=VALUE</c>).</summary>
public sealed record TemplateParameter
{
    /// <summary>Shown in errors about a malformed parameter name.</summary>
    public const string NameRule = "1-64 letters, digits or '_', starting with a letter";

    public required string Name { get; init; }

    public TemplateParameterType Type { get; init; } = TemplateParameterType.String;

    public string? Description { get; init; }

    /// <summary>The value used when none is supplied; always valid for the parameter's rules.</summary>
    public string? Default { get; init; }

    /// <summary>The consumer must supply a value (a required parameter has no default).</summary>
    public bool Required { get; init; }

    /// <summary>The only values accepted; required for <see cref="TemplateParameterType.Enum"/>, empty means any.</summary>
    public IReadOnlyList<string> AllowedValues { get; init; } = [];

    /// <summary>A regular expression the whole value must match (string parameters only).</summary>
    public string? Pattern { get; init; }

    /// <summary>Smallest accepted value (number parameters only).</summary>
    public decimal? Minimum { get; init; }

    /// <summary>Largest accepted value (number parameters only).</summary>
    public decimal? Maximum { get; init; }

    /// <summary>The value is a secret: it is masked wherever parameters are shown or logged.</summary>
    public bool Secret { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<TemplateParameterType>))]
public enum TemplateParameterType
{
    String,
    Number,
    Boolean,
    Enum,
}

/// <summary>
/// A function listed in <c>template.closedSource</c> and the package files that hold its compiled code:
/// <c>bootstrap</c> for a <c>provided</c> runtime, the archive named by <c>image:</c> (an OCI image archive), or the
/// program a web function's <c>command</c> starts.
/// </summary>
public sealed record ClosedSourceFunction(string Function, IReadOnlyList<string> Files);
