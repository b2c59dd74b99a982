using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Loading;

/// <summary>
/// Resolves Serverless-style variables (<c>${self:…}</c>, <c>${opt:…}</c>, <c>${sls:stage}</c>, <c>${env:…}</c>,
/// <c>${param:…}</c>, <c>${file(…):…}</c>, <c>${aws:region}</c>, <c>${aws:accountId}</c>, with fallbacks) on demand,
/// node by node, so only the parts of the file Ferry reads (and what they reference) are resolved. Nodes read from
/// referenced files keep their place in those files, so errors inside them point there. Results are cached per node; a node met again while it is being resolved is a cycle.
/// </summary>
internal sealed class VariableResolver
{
    private const int MaxReferenceDepth = 64;
    private const string SupportedSources = "self, opt, sls, env, param, file, aws";

    private readonly YamlMappingNode root;
    private readonly string fileName;
    private readonly ManifestLoadOptions options;
    private readonly DiagnosticBag diagnostics;
    private readonly Dictionary<YamlNode, ValueNode> resolved = new(ReferenceEqualityComparer.Instance);
    private readonly List<YamlNode> inProgress = [];
    private readonly Dictionary<YamlNode, string> paths = new(ReferenceEqualityComparer.Instance);

    /// <summary>Nodes read from files that <c>${file()}</c> refers to, and the file each is in (others are in the manifest).</summary>
    private readonly Dictionary<YamlNode, string> nodeFiles = new(ReferenceEqualityComparer.Instance);

    /// <summary>Why a reference had no value, for the error when no fallback has one either.</summary>
    private readonly Dictionary<ReferenceTerm, string> missingReasons = new(ReferenceEqualityComparer.Instance);
    private readonly ReferencedFiles referencedFiles;

    /// <summary>The text of each <c>Fn::Sub</c>, where <c>${Name}</c> is CloudFormation's syntax, not a mistake.</summary>
    private readonly HashSet<YamlNode> substitutionTexts = new(ReferenceEqualityComparer.Instance);
    private readonly YamlNode? providerStage;
    private readonly YamlNode? providerRegion;
    private string? selectedStage;
    private string? selectedRegion;

    /// <param name="manifestDirectory">The manifest's folder, which <c>${file()}</c> paths are relative to; null if it has none.</param>
    public VariableResolver(YamlMappingNode root, string fileName, string? manifestDirectory, ManifestLoadOptions options, DiagnosticBag diagnostics)
    {
        this.root = root;
        this.fileName = fileName;
        this.options = options;
        this.diagnostics = diagnostics;
        referencedFiles = new ReferencedFiles(manifestDirectory, diagnostics, options.FileRead);
        RecordPaths(root, "", file: null);
        var provider = FindChild(root, "provider") as YamlMappingNode;
        providerStage = provider is null ? null : FindChild(provider, "stage");
        providerRegion = provider is null ? null : FindChild(provider, "region");
    }

    /// <summary><c>--stage</c>, else <c>provider.stage</c> (resolved), else the default.</summary>
    public string SelectedStage => selectedStage ??= Select(options.Stage, providerStage, ManifestDefaults.Stage);

    /// <summary><c>--region</c>, else <c>provider.region</c> (resolved), else the default.</summary>
    public string SelectedRegion => selectedRegion ??= Select(options.Region, providerRegion, ManifestDefaults.Region);

    /// <summary>The value of <paramref name="node"/> with all variables in it resolved.</summary>
    public ValueNode Resolve(YamlNode node)
    {
        if (ReferenceEquals(node, providerStage))
        {
            return new ScalarValue(SelectedStage, IsNull: false, LocationOf(node));
        }

        if (ReferenceEquals(node, providerRegion))
        {
            return new ScalarValue(SelectedRegion, IsNull: false, LocationOf(node));
        }

        return ResolveNode(node);
    }

    public SourceLocation LocationOf(YamlNode node) => Locations.Of(node, nodeFiles.TryGetValue(node, out var file) ? file : fileName);

    private string Select(string? fromOptions, YamlNode? fromFile, string fallback)
    {
        if (fromOptions is not null || fromFile is null)
        {
            return fromOptions ?? fallback;
        }

        switch (ResolveNode(fromFile))
        {
            case ScalarValue { IsNull: false } scalar:
                return scalar.Text;
            case MappingValue or SequenceValue:
                diagnostics.Error(LocationOf(fromFile), $"{PathOf(fromFile)} must be a string");
                return fallback;
            default:
                return fallback;
        }
    }

    private ValueNode ResolveNode(YamlNode node)
    {
        if (resolved.TryGetValue(node, out var cached))
        {
            return cached;
        }

        var cycleStart = inProgress.FindIndex(pending => ReferenceEquals(pending, node));
        if (cycleStart >= 0)
        {
            var cycle = inProgress.Skip(cycleStart).Append(node).Select(PathOf);
            diagnostics.Error(LocationOf(node), $"circular variable reference: {string.Join(" → ", cycle)}");
            return new FailedValue(LocationOf(node));
        }

        if (inProgress.Count >= MaxReferenceDepth)
        {
            diagnostics.Error(LocationOf(node), $"variables reference each other more than {MaxReferenceDepth} levels deep");
            return new FailedValue(LocationOf(node));
        }

        inProgress.Add(node);
        ValueNode value;
        try
        {
            value = node switch
            {
                YamlScalarNode scalar => ResolveScalar(scalar),
                YamlMappingNode mapping => ResolveMapping(mapping),
                YamlSequenceNode sequence => new SequenceValue([.. sequence.Children.Select(Resolve)], LocationOf(sequence)),
                _ => Unsupported(node),
            };
        }
        finally
        {
            inProgress.RemoveAt(inProgress.Count - 1);
        }

        if (CloudFormationTag(node) is { } intrinsic)
        {
            // `!Ref X` is short for `{ Ref: X }`, `!GetAtt A.B` for `{ Fn::GetAtt: A.B }`, …
            value = new MappingValue([new MappingEntry(intrinsic, LocationOf(node), value)], LocationOf(node));
        }

        resolved[node] = value;
        return value;
    }

    /// <summary>The long form of a CloudFormation short-form tag on <paramref name="node"/> (<c>!Ref</c> → <c>Ref</c>, <c>!Sub</c> → <c>Fn::Sub</c>), or null.</summary>
    private static string? CloudFormationTag(YamlNode node)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific || node.Tag.Value is not ['!', .. var name] || name.Length == 0 || !char.IsUpper(name[0]))
        {
            return null;
        }

        return name is "Ref" or "Condition" ? name : $"Fn::{name}";
    }

    private FailedValue Unsupported(YamlNode node)
    {
        diagnostics.Error(LocationOf(node), "unsupported YAML node");
        return new FailedValue(LocationOf(node));
    }

    private ValueNode ResolveScalar(YamlScalarNode scalar)
    {
        var location = LocationOf(scalar);
        var text = scalar.Value ?? "";
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return new ScalarValue(text, IsNullScalar(scalar), location);
        }

        VariableTemplate template;
        try
        {
            template = VariableTemplate.Parse(text);
        }
        catch (VariableSyntaxException exception)
        {
            diagnostics.Error(location, $"{PathOf(scalar)}: {exception.Message}");
            return new FailedValue(location);
        }

        // In CloudFormation's `!Sub '${AWS::StackName}-x'` such text is expected; elsewhere it is usually a mistake.
        var isSubstitution = (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "!Sub") || substitutionTexts.Contains(scalar);
        foreach (var literal in isSubstitution ? [] : template.NonVariables)
        {
            diagnostics.Warning(location, $"'{literal}' in {PathOf(scalar)} is not a variable (expected ${{source:address}}); it is kept as text");
        }

        return Evaluate(template, location);
    }

    private static bool IsNullScalar(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private MappingValue ResolveMapping(YamlMappingNode mapping)
    {
        const string MergeKey = "<<";
        var explicitKeys = mapping.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).ToHashSet(StringComparer.Ordinal);
        var entries = new List<MappingEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalarKey)
            {
                diagnostics.Error(LocationOf(keyNode), $"keys in {DescribePath(mapping)} must be plain strings");
                continue;
            }

            if (key == MergeKey && scalarKey.Style is ScalarStyle.Plain)
            {
                foreach (var merged in MergedEntries(Resolve(valueNode), LocationOf(valueNode)))
                {
                    if (!explicitKeys.Contains(merged.Key) && seen.Add(merged.Key))
                    {
                        entries.Add(merged);
                    }
                }

                continue;
            }

            seen.Add(key);
            entries.Add(new MappingEntry(key, LocationOf(keyNode), Resolve(valueNode)));
        }

        return new MappingValue(entries, LocationOf(mapping));
    }

    private IEnumerable<MappingEntry> MergedEntries(ValueNode value, SourceLocation location)
    {
        switch (value)
        {
            case MappingValue mapping:
                return mapping.Entries;
            case SequenceValue sequence when sequence.Items.All(item => item is MappingValue):
                return sequence.Items.Cast<MappingValue>().SelectMany(item => item.Entries);
            case FailedValue:
                return [];
            default:
                diagnostics.Error(location, "a merge key '<<' must refer to a mapping or a list of mappings");
                return [];
        }
    }

    private ValueNode Evaluate(VariableTemplate template, SourceLocation location)
    {
        if (template.WholeValue is { } whole)
        {
            return ResolveExpression(whole, location);
        }

        var text = new StringBuilder();
        foreach (var part in template.Parts)
        {
            switch (part)
            {
                case LiteralPart literal:
                    text.Append(literal.Text);
                    break;
                case VariablePart variable:
                    switch (ResolveExpression(variable.Expression, location))
                    {
                        case ScalarValue scalar:
                            text.Append(scalar.Text);
                            break;
                        case FailedValue failed:
                            return failed;
                        case var structured:
                            diagnostics.Error(location, $"'{variable.Expression.Text}' is {structured.Describe()}, which can't be placed inside text");
                            return new FailedValue(location);
                    }

                    break;
            }
        }

        return new ScalarValue(text.ToString(), IsNull: false, location);
    }

    /// <summary>The first of the primary reference and its fallbacks that has a value; an error if none has.</summary>
    private ValueNode ResolveExpression(VariableExpression expression, SourceLocation location)
    {
        if (TryResolveExpression(expression, location) is { } value)
        {
            return value;
        }

        var reason = DescribeMissing(expression.Primary);
        var fallbacks = expression.Fallbacks.Count == 0 ? "and no fallback is given" : "and none of its fallbacks has a value";
        diagnostics.Error(location, $"cannot resolve '{expression.Text}': {reason} {fallbacks}");
        return new FailedValue(location);
    }

    private ValueNode? TryResolveExpression(VariableExpression expression, SourceLocation location)
    {
        foreach (var term in expression.Fallbacks.Prepend(expression.Primary))
        {
            var value = term switch
            {
                LiteralTerm literal => new ScalarValue(literal.Value, IsNull: false, location),
                NestedTerm nested => TryResolveExpression(nested.Expression, location),
                ReferenceTerm reference => ResolveReference(reference, location),
                _ => throw new InvalidOperationException($"unexpected variable term {term}"),
            };
            if (value is not null)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The referenced value, null if there is none, or <see cref="FailedValue"/> after reporting an error.</summary>
    private ValueNode? ResolveReference(ReferenceTerm reference, SourceLocation location)
    {
        if (reference.Source is not ("self" or "opt" or "sls" or "env" or "param" or "file" or "aws" or "cf"))
        {
            diagnostics.Error(location, $"variable source '{reference.Source}' is not supported (supported: {SupportedSources})");
            return new FailedValue(location);
        }

        var addressValue = Evaluate(reference.Address, location);
        if (addressValue is not ScalarValue { Text: var address })
        {
            return addressValue as FailedValue ?? new FailedValue(location);
        }

        string? parameter = null;
        if (reference.Parameter is { } parameterTemplate)
        {
            if (Evaluate(parameterTemplate, location) is not ScalarValue { Text: var parameterText })
            {
                return new FailedValue(location);
            }

            parameter = parameterText;
        }

        if (reference.Source == "file" && parameter is null)
        {
            diagnostics.Error(location, $"'${{file:{address}}}' must name the file in parentheses, for example ${{file(./config.yml):{(address.Length > 0 ? address : "key")}}}");
            return new FailedValue(location);
        }

        if (reference.Source is not ("file" or "cf") && parameter is not null)
        {
            diagnostics.Error(location, $"'{reference.Source}({parameter})' takes no parameter in parentheses; write ${{{reference.Source}:{address}}}");
            return new FailedValue(location);
        }

        var value = reference.Source switch
        {
            "self" => LookUpSelf(address, location),
            "file" => LookUpFile(reference, parameter!, address, location),
            "aws" => LookUpAws(address, location),
            "cf" => NotAvailable(reference, "CloudFormation stack outputs are not available on Ferry, which deploys no CloudFormation stacks; give a fallback or use ${param:…}"),
            "opt" => LookUpOption(address) is { } option ? new ScalarValue(option, IsNull: false, location) : null,
            "sls" => LookUpSls(address, location),
            "env" => options.EnvironmentVariable(address) is { } variable ? new ScalarValue(variable, IsNull: false, location) : null,
            _ => LookUpParam(address, location),
        };

        // A scalar from elsewhere takes the place where the variable is written, so later errors point there.
        return value switch
        {
            ScalarValue { IsNull: true } => null,
            ScalarValue scalar => scalar with { Location = location },
            _ => value,
        };
    }

    private ValueNode? NotAvailable(ReferenceTerm reference, string reason)
    {
        missingReasons[reference] = reason;
        return null;
    }

    /// <summary><c>${aws:region}</c> is the deploy's region; <c>${aws:accountId}</c> the account id Ferry uses in ARNs.</summary>
    private ValueNode LookUpAws(string address, SourceLocation location)
    {
        switch (address)
        {
            case "region":
                return new ScalarValue(SelectedRegion, IsNull: false, location);
            case "accountId":
                return new ScalarValue(ManifestDefaults.AccountId, IsNull: false, location);
            default:
                diagnostics.Error(location, $"'${{aws:{address}}}' is not supported; Ferry knows ${{aws:region}} and ${{aws:accountId}}");
                return new FailedValue(location);
        }
    }

    /// <summary>
    /// <c>${file(path)}</c>: the whole file (a YAML/JSON value, or the text of any other file);
    /// <c>${file(path):a.b}</c>: the value at that dotted path in it. No file, or no value there, is "no value".
    /// </summary>
    private ValueNode? LookUpFile(ReferenceTerm reference, string path, string address, SourceLocation location)
    {
        if (referencedFiles.Read(path, location) is not { } file)
        {
            return new FailedValue(location);
        }

        if (!file.Exists)
        {
            var hint = file.Example is null ? "" : $" (there is {file.Example}: copy it to {Path.GetFileName(file.DisplayName)} and fill it in)";
            return NotAvailable(reference, $"the file {file.DisplayName} does not exist{hint}");
        }

        if (file.IsText)
        {
            if (address.Length == 0)
            {
                return new ScalarValue(file.Text!, IsNull: false, location);
            }

            diagnostics.Error(location, $"{file.DisplayName} is not a YAML or JSON file (.yml, .yaml, .json), so it has no key '{address}'; use ${{file({path})}} for its whole text");
            return new FailedValue(location);
        }

        if (file.Root is null)
        {
            return NotAvailable(reference, $"{file.DisplayName} is empty");
        }

        if (!paths.ContainsKey(file.Root))
        {
            RecordPaths(file.Root, "", file.DisplayName);
        }

        var value = address.Length == 0 ? Resolve(file.Root) : LookUpPath(file.Root, address);
        return value ?? NotAvailable(reference, $"there is no value at '{address}' in {file.DisplayName}");
    }

    private string? LookUpOption(string name) =>
        options.Options.TryGetValue(name, out var value) ? value
        : name == "stage" ? options.Stage
        : name == "region" ? options.Region
        : null;

    private ValueNode? LookUpSls(string address, SourceLocation location)
    {
        if (address == "stage")
        {
            return new ScalarValue(SelectedStage, IsNull: false, location);
        }

        diagnostics.Error(location, $"'${{sls:{address}}}' is not supported; only ${{sls:stage}} is");
        return new FailedValue(location);
    }

    private ValueNode? LookUpParam(string name, SourceLocation location)
    {
        if (options.ParamOverrides.TryGetValue(name, out var overridden))
        {
            return new ScalarValue(overridden, IsNull: false, location);
        }

        if (FindChild(root, "params") is not YamlMappingNode parameters)
        {
            return null;
        }

        foreach (var block in new[] { SelectedStage, "default" })
        {
            if (FindChild(parameters, block) is YamlMappingNode values && FindChild(values, name) is { } value)
            {
                return Resolve(value);
            }
        }

        return null;
    }

    /// <summary>
    /// Walks <paramref name="address"/> (dotted keys, or indexes into lists) from the document root, resolving each
    /// step only as needed so that a value may refer to its siblings without a false cycle.
    /// </summary>
    private ValueNode? LookUpSelf(string address, SourceLocation location)
    {
        switch (address)
        {
            case "":
                diagnostics.Error(location, "'${self:}' must name a path such as ${self:service}");
                return new FailedValue(location);
            case "provider.stage":
                return new ScalarValue(SelectedStage, IsNull: false, location);
            case "provider.region":
                return new ScalarValue(SelectedRegion, IsNull: false, location);
        }

        return LookUpPath(root, address);
    }

    /// <summary>The value at <paramref name="address"/> (dotted keys, or indexes into lists) under <paramref name="start"/>.</summary>
    private ValueNode? LookUpPath(YamlNode start, string address)
    {
        YamlNode? raw = start;
        ValueNode? value = null;
        foreach (var segment in address.Split('.'))
        {
            if (raw is YamlScalarNode)
            {
                value = Resolve(raw);
                raw = null;
            }

            if (raw is not null)
            {
                raw = raw switch
                {
                    YamlMappingNode mapping => FindChild(mapping, segment),
                    YamlSequenceNode sequence when int.TryParse(segment, out var index) && index >= 0 && index < sequence.Children.Count
                        => sequence.Children[index],
                    _ => null,
                };
                if (raw is null)
                {
                    return null;
                }

                continue;
            }

            value = value switch
            {
                MappingValue mapping => mapping.Entries.FirstOrDefault(entry => entry.Key == segment)?.Value,
                SequenceValue sequence when int.TryParse(segment, out var index) && index >= 0 && index < sequence.Items.Count
                    => sequence.Items[index],
                FailedValue failed => failed,
                _ => null,
            };
            if (value is null or FailedValue)
            {
                return value;
            }
        }

        return raw is not null ? Resolve(raw) : value;
    }

    private string DescribeMissing(ReferenceTerm reference)
    {
        if (missingReasons.TryGetValue(reference, out var reason))
        {
            return reason;
        }

        var address = reference.Address.HasVariables ? "a computed address" : string.Concat(reference.Address.Parts.OfType<LiteralPart>().Select(p => p.Text));
        return reference.Source switch
        {
            "self" => $"there is no value at '{address}' in {fileName}",
            "opt" => $"option '--{address}' was not given",
            "env" => $"environment variable '{address}' is not set",
            "param" => $"parameter '{address}' is not set (not in params.{SelectedStage}, params.default or --param)",
            _ => $"'{reference.Source}:{address}' has no value",
        };
    }

    private static YamlNode? FindChild(YamlMappingNode mapping, string key)
    {
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is YamlScalarNode { Value: var name } && name == key)
            {
                return value;
            }
        }

        return null;
    }

    /// <param name="file">The referenced file <paramref name="node"/> is in; null for the manifest.</param>
    private void RecordPaths(YamlNode node, string path, string? file)
    {
        if (!paths.TryAdd(node, file is null ? path : $"{file}:{path}"))
        {
            return;
        }

        if (file is not null)
        {
            nodeFiles[node] = file;
        }

        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    if (file is not null)
                    {
                        nodeFiles[key] = file;
                    }

                    var name = key is YamlScalarNode { Value: { } text } ? text : "?";
                    if (name == "Fn::Sub")
                    {
                        substitutionTexts.Add(value is YamlSequenceNode { Children: [var first, ..] } ? first : value);
                    }

                    RecordPaths(value, path.Length == 0 ? name : $"{path}.{name}", file);
                }

                break;
            case YamlSequenceNode sequence:
                if (!sequence.Tag.IsEmpty && !sequence.Tag.IsNonSpecific && sequence.Tag.Value == "!Sub" && sequence.Children.Count > 0)
                {
                    substitutionTexts.Add(sequence.Children[0]);
                }

                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    RecordPaths(sequence.Children[i], $"{path}.{i}", file);
                }

                break;
        }
    }

    private string PathOf(YamlNode node) => paths.TryGetValue(node, out var path) && path.Length > 0 ? path : "(document)";

    private string DescribePath(YamlNode node) => paths.TryGetValue(node, out var path) && path.Length > 0 ? $"'{path}'" : "the document";
}
