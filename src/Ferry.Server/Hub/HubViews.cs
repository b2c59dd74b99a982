using System.Text.Json;
using Ferry.Hub;
using Ferry.Server.Access;
using Ferry.Server.Api;
using Ferry.Store;

namespace Ferry.Server.Hub;

/// <summary>API views of template versions, and who may see which.</summary>
internal static class HubViews
{
    private static readonly JsonSerializerOptions DefinitionJson = new(JsonSerializerDefaults.Web);

    public static string Serialize(TemplateDefinition definition) => JsonSerializer.Serialize(definition, DefinitionJson);

    public static TemplateDefinition Definition(TemplateVersionRecord version)
        => JsonSerializer.Deserialize<TemplateDefinition>(version.DefinitionJson, DefinitionJson)
           ?? throw new InvalidDataException($"stored definition of {version.Template}@{version.Version} is empty");

    public static TemplateVersionInfo Version(TemplateVersionRecord version)
    {
        var definition = Definition(version);
        return new TemplateVersionInfo(version.Template, version.Version, Status(version.Status), version.Digest, version.KeyId,
            version.Changelog, definition.Description, [.. definition.Parameters.Select(Parameter)],
            [.. definition.ClosedSource.Select(c => c.Function)], version.SubmittedAt, version.ReviewComment, version.ReviewedAt);
    }

    public static TemplateParameterInfo Parameter(TemplateParameter p) => new(
        p.Name, p.Type.ToString().ToLowerInvariant(), p.Description, p.Secret ? null : p.Default, p.Required,
        p.AllowedValues, p.Pattern, p.Minimum, p.Maximum, p.Secret);

    public static string Status(TemplateVersionStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>Approved and deprecated versions are public; pending and rejected ones only to reviewers and the template's provider.</summary>
    public static bool CanSee(Caller caller, TemplateRecord template, TemplateVersionRecord version)
        => version.Status is TemplateVersionStatus.Approved or TemplateVersionStatus.Deprecated
           || caller.HasAny([Role.Reviewer])
           || (caller.Tenant == template.ProviderTenant && caller.HasAny([Role.Provider]));

    /// <summary>The newest approved version (not deprecated), by semantic version order.</summary>
    public static TemplateVersionRecord? LatestApproved(IEnumerable<TemplateVersionRecord> versions)
        => versions.Where(v => v.Status == TemplateVersionStatus.Approved)
            .OrderByDescending(v => SemanticVersion.Parse(v.Version))
            .FirstOrDefault();
}
