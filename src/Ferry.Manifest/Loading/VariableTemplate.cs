using System.Text.RegularExpressions;

namespace Ferry.Manifest.Loading;

/// <summary>
/// A scalar's text split into literal text and <c>${source:address, fallback, …}</c> variables.
/// Text like <c>${AWS::Region}</c> or <c>${Name}</c> (CloudFormation syntax) is not a variable and stays literal.
/// </summary>
internal sealed partial record VariableTemplate(IReadOnlyList<TemplatePart> Parts, IReadOnlyList<string> NonVariables)
{
    private const int MaxNesting = 10;

    /// <summary>True when the whole text is one variable, whose value may then be a mapping or a list.</summary>
    public VariableExpression? WholeValue => Parts is [VariablePart only] ? only.Expression : null;

    public bool HasVariables => Parts.Any(part => part is VariablePart);

    /// <summary>
    /// <c>source:address</c>, <c>source(parameter):address</c> or <c>source(parameter)</c> (as in <c>${file(./x.yml)}</c>);
    /// <c>AWS::Region</c> is CloudFormation, not a variable.
    /// </summary>
    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9]*)(?:\(([^)]*)\))?(?:(:)(?!:)(.*)|())$", RegexOptions.Singleline)]
    private static partial Regex ReferencePattern();

    /// <summary>A match of <see cref="ReferencePattern"/> that really is a reference: it has a colon or a parameter.</summary>
    private static Match? MatchReference(string text) =>
        ReferencePattern().Match(text) is { Success: true } match && (match.Groups[3].Success || match.Groups[2].Success) ? match : null;

    /// <exception cref="VariableSyntaxException">A variable is malformed.</exception>
    public static VariableTemplate Parse(string text) => Parse(text, depth: 0);

    private static VariableTemplate Parse(string text, int depth)
    {
        if (depth > MaxNesting)
        {
            throw new VariableSyntaxException($"variables are nested more than {MaxNesting} levels deep");
        }

        var parts = new List<TemplatePart>();
        var nonVariables = new List<string>();
        var literalStart = 0;
        var searchFrom = 0;
        while (text.IndexOf("${", searchFrom, StringComparison.Ordinal) is var start and >= 0)
        {
            var end = FindClosingBrace(text, start + 2);
            if (end < 0)
            {
                throw new VariableSyntaxException($"the variable starting at '{Excerpt(text[start..])}' has no closing '}}'");
            }

            var content = text[(start + 2)..end];
            searchFrom = end + 1;
            if (MatchReference(SplitTopLevel(content)[0].Trim()) is null)
            {
                nonVariables.Add(text[start..searchFrom]);
                continue;
            }

            if (start > literalStart)
            {
                parts.Add(new LiteralPart(text[literalStart..start]));
            }

            parts.Add(new VariablePart(ParseExpression(text[start..searchFrom], content, depth)));
            literalStart = searchFrom;
        }

        if (literalStart < text.Length)
        {
            parts.Add(new LiteralPart(text[literalStart..]));
        }

        return new VariableTemplate(parts, nonVariables);
    }

    private static VariableExpression ParseExpression(string text, string content, int depth)
    {
        var terms = SplitTopLevel(content);
        if (ParseTerm(terms[0], depth) is not ReferenceTerm primary)
        {
            throw new VariableSyntaxException($"'{text}' must start with a reference such as ${{self:path}} or ${{env:NAME}}");
        }

        var fallbacks = terms.Skip(1).Select(term => ParseTerm(term, depth)).ToArray();
        return new VariableExpression(text, primary, fallbacks);
    }

    private static VariableTerm ParseTerm(string rawTerm, int depth)
    {
        var term = rawTerm.Trim();
        if (term.Length == 0)
        {
            throw new VariableSyntaxException("a variable has an empty fallback; quote an empty string as ''");
        }

        if (term.Length >= 2 && term[0] is '\'' or '"' && term[^1] == term[0])
        {
            return new LiteralTerm(term[1..^1]);
        }

        if (term.StartsWith("${", StringComparison.Ordinal) && FindClosingBrace(term, 2) == term.Length - 1)
        {
            var nested = Parse(term, depth + 1);
            return nested.WholeValue is { } expression ? new NestedTerm(expression) : new LiteralTerm(term);
        }

        if (MatchReference(term) is not { } reference)
        {
            return new LiteralTerm(term);
        }

        var address = Parse(reference.Groups[4].Value.Trim(), depth + 1);
        var parameter = reference.Groups[2].Success ? Parse(reference.Groups[2].Value.Trim(), depth + 1) : null;
        return new ReferenceTerm(reference.Groups[1].Value, address, parameter);
    }

    /// <summary>Splits on commas that are not inside quotes or nested <c>${…}</c>.</summary>
    private static List<string> SplitTopLevel(string content)
    {
        var terms = new List<string>();
        var depth = 0;
        var termStart = 0;
        for (var i = 0; i < content.Length; i++)
        {
            switch (content[i])
            {
                case '{':
                    depth++;
                    break;
                case '}':
                    depth--;
                    break;
                case '\'' or '"' when content.IndexOf(content[i], i + 1) is var close and > 0:
                    i = close;
                    break;
                case ',' when depth == 0:
                    terms.Add(content[termStart..i]);
                    termStart = i + 1;
                    break;
            }
        }

        terms.Add(content[termStart..]);
        return terms;
    }

    /// <summary>Index of the '}' that closes a '{' just before <paramref name="from"/>, or -1.</summary>
    private static int FindClosingBrace(string text, int from)
    {
        var depth = 1;
        for (var i = from; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '{':
                    depth++;
                    break;
                case '}' when --depth == 0:
                    return i;
                case '\'' or '"' when text.IndexOf(text[i], i + 1) is var close and > 0:
                    i = close;
                    break;
            }
        }

        return -1;
    }

    private static string Excerpt(string text) => text.Length > 40 ? text[..40] + "…" : text;
}

internal abstract record TemplatePart;

internal sealed record LiteralPart(string Text) : TemplatePart;

internal sealed record VariablePart(VariableExpression Expression) : TemplatePart;

/// <summary><c>${primary, fallback, …}</c>; <see cref="Text"/> is the variable as written.</summary>
internal sealed record VariableExpression(string Text, ReferenceTerm Primary, IReadOnlyList<VariableTerm> Fallbacks);

internal abstract record VariableTerm;

/// <summary>
/// <c>source:address</c> or <c>source(parameter):address</c>; both may contain variables
/// (<c>${self:custom.${sls:stage}}</c>, <c>${file(./config/${sls:stage}.yml):key}</c>).
/// </summary>
internal sealed record ReferenceTerm(string Source, VariableTemplate Address, VariableTemplate? Parameter = null) : VariableTerm;

/// <summary>A quoted or bare fallback value.</summary>
internal sealed record LiteralTerm(string Value) : VariableTerm;

/// <summary>A fallback written as a whole variable: <c>${opt:stage, ${env:STAGE}}</c>.</summary>
internal sealed record NestedTerm(VariableExpression Expression) : VariableTerm;

internal sealed class VariableSyntaxException(string message) : Exception(message);
