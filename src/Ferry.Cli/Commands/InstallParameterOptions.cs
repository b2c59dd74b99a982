using System.CommandLine;
using Ferry.Cli.Options;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>--param key=value</c> (repeatable) and <c>--param-file FILE</c> of <c>ferry app install|upgrade</c>. Values may be
/// secrets, so no message built here ever quotes one: errors name the key or the line number only.
/// </summary>
internal sealed class InstallParameterOptions
{
    public Option<IReadOnlyDictionary<string, string>> Params { get; } = new("--param")
    {
        Description = "Set a template parameter (repeatable: --param key=value); overrides --param-file",
        HelpName = "key=value",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => new Dictionary<string, string>(),
        CustomParser = result =>
        {
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var token in result.Tokens)
            {
                if (!ParamParser.TryParse(token.Value, out var pair, out _))
                {
                    result.AddError(DescribeWithoutValue(token.Value, "--param value"));
                    return parameters;
                }

                parameters[pair.Key] = pair.Value;
            }

            return parameters;
        },
    };

    public Option<string?> ParamFile { get; } = new("--param-file")
    {
        Description = "Read template parameters from a file of key=value lines ('#' starts a comment), so secrets stay off the command line",
        HelpName = "file",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Params);
        command.Options.Add(ParamFile);
    }

    /// <summary>The parameters of <c>--param-file</c> overridden by <c>--param</c>; null when neither gives any.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ResolveAsync(ParseResult parseResult, CliContext context, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parseResult.GetValue(ParamFile) is { } file)
        {
            var path = context.ResolvePath(file);
            string text;
            try
            {
                text = await File.ReadAllTextAsync(path, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliUserException($"Cannot read the parameter file {path}: {e.Message}", e);
            }

            foreach (var (key, value) in ParseFile(text, path))
            {
                parameters[key] = value;
            }
        }

        foreach (var (key, value) in parseResult.GetRequiredValue(Params))
        {
            parameters[key] = value;
        }

        return parameters.Count == 0 ? null : parameters;
    }

    /// <summary>Parses <c>key=value</c> lines; blank lines and lines starting with '#' are skipped; a value is everything after the first '='.</summary>
    public static IReadOnlyDictionary<string, string> ParseFile(string text, string path)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!ParamParser.TryParse(line, out var pair, out _))
            {
                throw new CliUserException($"{path}:{i + 1}: {DescribeWithoutValue(line, "line")}");
            }

            parameters[pair.Key] = pair.Value;
        }

        return parameters;
    }

    /// <summary>Why <paramref name="text"/> is not <c>key=value</c>, naming at most its key.</summary>
    private static string DescribeWithoutValue(string text, string what)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            return $"a {what} has no '='; expected key=value (the text is not shown, as it may be a secret)";
        }

        var key = text[..equals].Trim();
        return key.Length == 0
            ? $"a {what} has an empty key; expected key=value"
            : $"the {what} for '{key}' has whitespace in its key; expected key=value";
    }
}
