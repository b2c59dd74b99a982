namespace Ferry.Hub;

/// <summary>
/// Resolves the parameter values of an install or upgrade: each declared parameter takes the supplied value, else (on
/// upgrade) the value the installed version had, else its default; a required parameter with none of these is an
/// error, and so is a supplied name the template does not declare. Every value is checked against the parameter's
/// rules; errors name the parameter and never quote a secret's value.
/// </summary>
public static class TemplateParameterValidator
{
    /// <param name="definition">The version being installed.</param>
    /// <param name="supplied">Values given now (<c>--param name=value</c>).</param>
    /// <param name="previousValues">The values of the installed version when upgrading; null for a first install.</param>
    public static ParameterValidationResult Validate(
        TemplateDefinition definition,
        IReadOnlyDictionary<string, string> supplied,
        IReadOnlyDictionary<string, string>? previousValues = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(supplied);

        var resolved = new List<ResolvedParameter>();
        var errors = new List<ParameterError>();
        foreach (var name in supplied.Keys.Where(name => definition.FindParameter(name) is null).Order(StringComparer.Ordinal))
        {
            var declared = definition.Parameters.Count == 0
                ? "it declares no parameters"
                : "declared: " + string.Join(", ", definition.Parameters.Select(p => p.Name));
            errors.Add(new ParameterError(name, $"is not a parameter of {definition.Id} ({declared})"));
        }

        foreach (var parameter in definition.Parameters)
        {
            if (Resolve(parameter, supplied, previousValues, out var error) is { } value)
            {
                resolved.Add(value);
            }
            else
            {
                errors.Add(error!);
            }
        }

        return new ParameterValidationResult(definition, resolved, errors);
    }

    private static ResolvedParameter? Resolve(
        TemplateParameter parameter,
        IReadOnlyDictionary<string, string> supplied,
        IReadOnlyDictionary<string, string>? previousValues,
        out ParameterError? error)
    {
        error = null;
        (string Value, ParameterValueSource Source)? candidate =
            supplied.TryGetValue(parameter.Name, out var given) ? (given, ParameterValueSource.Supplied)
            : previousValues?.TryGetValue(parameter.Name, out var kept) == true ? (kept, ParameterValueSource.Previous)
            : parameter.Default is { } fallback ? (fallback, ParameterValueSource.Default)
            : null;

        if (candidate is null)
        {
            if (parameter.Required)
            {
                var hint = previousValues is null ? "" : " (it is new in this version)";
                error = new ParameterError(parameter.Name, $"is required{hint}; supply it with --param {parameter.Name}=VALUE");
                return null;
            }

            return new ResolvedParameter(parameter.Name, "", ParameterValueSource.Empty, parameter.Secret);
        }

        var (value, source) = candidate.Value;
        if (parameter.Required && value.Length == 0)
        {
            error = new ParameterError(parameter.Name, "is required and must not be empty");
            return null;
        }

        if (ParameterValueRules.Check(parameter, value, out var problem) is not { } normalized)
        {
            var origin = source == ParameterValueSource.Previous
                ? $"the value kept from the installed version no longer fits: it {problem}; supply a new one with --param {parameter.Name}=VALUE"
                : problem!;
            error = new ParameterError(parameter.Name, origin);
            return null;
        }

        return new ResolvedParameter(parameter.Name, normalized, source, parameter.Secret);
    }
}

/// <summary>The outcome of <see cref="TemplateParameterValidator.Validate"/>.</summary>
public sealed class ParameterValidationResult
{
    internal ParameterValidationResult(TemplateDefinition definition, IReadOnlyList<ResolvedParameter> parameters, IReadOnlyList<ParameterError> errors)
    {
        Parameters = parameters;
        Errors = errors;
        Values = parameters.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        Redacted = new RedactedParameters(definition, Values);
    }

    public bool IsValid => Errors.Count == 0;

    /// <summary>Each declared parameter that resolved, with where its value came from.</summary>
    public IReadOnlyList<ResolvedParameter> Parameters { get; }

    /// <summary>One error per parameter that has no valid value, plus one per unknown supplied name.</summary>
    public IReadOnlyList<ParameterError> Errors { get; }

    /// <summary>The values to deploy with (<c>${param:NAME}</c>), secrets included: never print or log these.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>The same values with secrets masked, for output and logs.</summary>
    public RedactedParameters Redacted { get; }

    public override string ToString() =>
        IsValid ? $"{Parameters.Count} parameter(s): {Redacted}" : string.Join(Environment.NewLine, Errors);
}

/// <summary>A resolved value. <see cref="ToString"/> masks secrets.</summary>
public sealed record ResolvedParameter(string Name, string Value, ParameterValueSource Source, bool Secret)
{
    public override string ToString() => $"{Name}={(Secret ? RedactedParameters.Mask : Value)} ({Source.ToString().ToLowerInvariant()})";
}

public enum ParameterValueSource
{
    /// <summary>Given for this install or upgrade.</summary>
    Supplied,

    /// <summary>Kept from the installed version.</summary>
    Previous,

    /// <summary>The parameter's default.</summary>
    Default,

    /// <summary>An optional string parameter left empty.</summary>
    Empty,
}

/// <summary>Why a parameter has no valid value; <see cref="ToString"/> reads "param 'replicas': must be a number …".</summary>
public sealed record ParameterError(string Parameter, string Message)
{
    public override string ToString() => $"param '{Parameter}': {Message}";
}
