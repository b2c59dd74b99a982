using System.Text.RegularExpressions;
using Ferry.Manifest;
using YamlDotNet.RepresentationModel;

namespace Ferry.Hub.Reading;

/// <summary>
/// Reads <c>template.parameters</c>: a list of mappings with name, type, description, default, required,
/// allowedValues, pattern, minimum, maximum and secret. Checks that the settings fit the type and that the default
/// passes the same rules supplied values must pass.
/// </summary>
internal sealed partial class TemplateParameterReader(string fileName, DiagnosticList diagnostics)
    : YamlValueReader(fileName, diagnostics)
{
    private static readonly string[] KnownParameterKeys =
        ["name", "type", "description", "default", "required", "allowedValues", "pattern", "minimum", "maximum", "secret"];

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex ParameterNamePattern();

    public List<TemplateParameter> ReadAll(YamlNode node, string path)
    {
        var parameters = new List<TemplateParameter>();
        if (node is YamlScalarNode scalar && scalar.IsNull())
        {
            return parameters;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Diagnostics.Error(At(node), $"{path} must be a list of parameters (each with at least 'name'), got {node.Describe()}");
            return parameters;
        }

        var declared = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            if ((item as YamlMappingNode)?.Child("name") is YamlScalarNode { Value: { Length: > 0 } name }
                && !declared.TryAdd(name, At(item)))
            {
                Diagnostics.Error(At(item), $"parameter '{name}' is declared twice (first at {declared[name]})");
                continue;
            }

            if (ReadParameter(item, $"{path}[{i}]") is { } parameter)
            {
                parameters.Add(parameter);
            }
        }

        return parameters;
    }

    private TemplateParameter? ReadParameter(YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            Diagnostics.Error(At(node), $"{path} must be a mapping with 'name', 'type', …, got {node.Describe()}");
            return null;
        }

        var nameNode = mapping.Child("name");
        if (nameNode is null)
        {
            Diagnostics.Error(At(mapping), $"{path} has no 'name'");
            return null;
        }

        var name = RequiredString(nameNode, $"{path}.name");
        if (name is null)
        {
            return null;
        }

        if (!ParameterNamePattern().IsMatch(name))
        {
            Diagnostics.Error(At(nameNode), $"parameter name '{name}' is invalid; parameter names are {TemplateParameter.NameRule}");
            return null;
        }

        path = $"parameter '{name}'";
        var parameter = new TemplateParameter { Name = name };
        var valid = true;
        YamlNode? defaultNode = null;
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var keyPath = $"{path}: {key}";
            switch (key)
            {
                case "name":
                    break;
                case "type":
                    var typeName = RequiredString(value, keyPath);
                    if (typeName is not null && ParseType(typeName) is { } type)
                    {
                        parameter = parameter with { Type = type };
                    }
                    else
                    {
                        valid = false;
                        if (typeName is not null)
                        {
                            Diagnostics.Error(At(value), $"{keyPath} must be string, number, boolean or enum, got '{typeName}'");
                        }
                    }

                    break;
                case "description":
                    parameter = parameter with { Description = RequiredString(value, keyPath) };
                    break;
                case "default":
                    defaultNode = value;
                    break;
                case "required":
                    parameter = parameter with { Required = Flag(value, keyPath) ?? false };
                    break;
                case "secret":
                    parameter = parameter with { Secret = Flag(value, keyPath) ?? false };
                    break;
                case "allowedValues":
                    parameter = parameter with { AllowedValues = ReadAllowedValues(value, keyPath) };
                    break;
                case "pattern":
                    var pattern = RequiredString(value, keyPath);
                    if (pattern is not null && ParameterValueRules.PatternProblem(pattern) is { } problem)
                    {
                        Diagnostics.Error(At(value), $"{keyPath} is not a valid regular expression: {problem}");
                        valid = false;
                    }

                    parameter = parameter with { Pattern = pattern };
                    break;
                case "minimum":
                    parameter = parameter with { Minimum = Number(value, keyPath) };
                    break;
                case "maximum":
                    parameter = parameter with { Maximum = Number(value, keyPath) };
                    break;
                default:
                    Diagnostics.Warning(At(keyNode), $"{keyPath} is not a parameter setting (known: {string.Join(", ", KnownParameterKeys)}); ignored");
                    break;
            }
        }

        valid &= CheckConsistency(parameter, mapping, path);
        if (defaultNode is not null)
        {
            parameter = ReadDefault(parameter, defaultNode, path, ref valid);
        }
        else if (!parameter.Required && parameter.Type != TemplateParameterType.String)
        {
            Diagnostics.Error(At(mapping), $"{path} ({Lower(parameter.Type)}) needs a default or 'required: true'; only string parameters may be left empty");
            valid = false;
        }

        return valid ? parameter : null;
    }

    private TemplateParameter ReadDefault(TemplateParameter parameter, YamlNode node, string path, ref bool valid)
    {
        if (node is not YamlScalarNode scalar || scalar.IsNull())
        {
            Diagnostics.Error(At(node), $"{path}: default must be a string, number or boolean, got {node.Describe()}");
            valid = false;
            return parameter;
        }

        if (parameter.Required)
        {
            Diagnostics.Error(At(node), $"{path} is required and has a default; a required parameter must be supplied, so remove one of them");
            valid = false;
        }

        if (parameter.Secret)
        {
            Diagnostics.Warning(At(node), $"{path} is secret but has a default, which is stored in the package and visible to anyone who can read the template");
        }

        if (!valid)
        {
            return parameter;
        }

        var normalized = ParameterValueRules.Check(parameter, scalar.Value ?? "", out var problem);
        if (normalized is null)
        {
            Diagnostics.Error(At(node), $"{path}: the default {problem}");
            valid = false;
        }

        return parameter with { Default = normalized };
    }

    private bool CheckConsistency(TemplateParameter parameter, YamlMappingNode mapping, string path)
    {
        var valid = true;
        void Problem(string key, string message)
        {
            Diagnostics.Error(At(mapping.Child(key) ?? mapping), $"{path}: {message}");
            valid = false;
        }

        var type = Lower(parameter.Type);
        if (parameter.Type == TemplateParameterType.Enum && parameter.AllowedValues.Count == 0)
        {
            Problem("type", "an enum needs 'allowedValues', the list of values to choose from");
        }

        if (parameter.Type == TemplateParameterType.Boolean && parameter.AllowedValues.Count > 0)
        {
            Problem("allowedValues", "a boolean can't have 'allowedValues'; it is always true or false");
        }

        if (parameter.Type == TemplateParameterType.Number)
        {
            foreach (var allowed in parameter.AllowedValues.Where(value => !ParameterValueRules.TryParseNumber(value, out _)))
            {
                Problem("allowedValues", $"allowed value '{allowed}' is not a number");
            }
        }

        if (parameter.Pattern is not null && parameter.Type != TemplateParameterType.String)
        {
            Problem("pattern", $"'pattern' is only for string parameters, not {type}");
        }

        if ((parameter.Minimum is not null || parameter.Maximum is not null) && parameter.Type != TemplateParameterType.Number)
        {
            Problem(parameter.Minimum is not null ? "minimum" : "maximum", $"'minimum' and 'maximum' are only for number parameters, not {type}");
        }

        if (parameter.Minimum > parameter.Maximum)
        {
            Problem("minimum", $"minimum {parameter.Minimum} is larger than maximum {parameter.Maximum}");
        }

        return valid;
    }

    private List<string> ReadAllowedValues(YamlNode node, string path)
    {
        var values = new List<string>();
        if (node is not YamlSequenceNode { Children.Count: > 0 } sequence)
        {
            Diagnostics.Error(At(node), $"{path} must be a non-empty list of values, got {node.Describe()}");
            return values;
        }

        foreach (var item in sequence.Children)
        {
            if (item is not YamlScalarNode scalar || scalar.IsNull())
            {
                Diagnostics.Error(At(item), $"{path} items must be strings, numbers or booleans, got {item.Describe()}");
            }
            else if (values.Contains(scalar.Value!, StringComparer.Ordinal))
            {
                Diagnostics.Error(At(item), $"{path} lists '{scalar.Value}' twice");
            }
            else
            {
                values.Add(scalar.Value!);
            }
        }

        return values;
    }

    private decimal? Number(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text } && ParameterValueRules.TryParseNumber(text, out var number))
        {
            return number;
        }

        Diagnostics.Error(At(node), $"{path} must be a number, got {node.Describe()}");
        return null;
    }

    private static TemplateParameterType? ParseType(string name) => name switch
    {
        "string" => TemplateParameterType.String,
        "number" => TemplateParameterType.Number,
        "boolean" => TemplateParameterType.Boolean,
        "enum" => TemplateParameterType.Enum,
        _ => null,
    };

    private static string Lower(TemplateParameterType type) => type.ToString().ToLowerInvariant();
}
