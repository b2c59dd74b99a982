using System.Globalization;
using Ferry.Cli.Output;
using Ferry.Hub;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>Text rendering shared by the template, review and app commands.</summary>
internal static class TemplateRendering
{
    /// <summary>NAME TYPE REQUIRED DEFAULT RULES DESCRIPTION; a secret parameter's default is never shown.</summary>
    public static void WriteParameters(IReadOnlyList<TemplateParameterInfo> parameters, CliOutput cli)
    {
        if (parameters.Count == 0)
        {
            cli.WriteLine("  (none)");
            return;
        }

        var table = new TextTable("NAME", "TYPE", "REQUIRED", "DEFAULT", "ALLOWED", "DESCRIPTION");
        foreach (var parameter in parameters)
        {
            table.AddRow(
                parameter.Name,
                parameter.Secret ? parameter.Type + " (secret)" : parameter.Type,
                parameter.Required ? "yes" : "no",
                parameter.Secret ? "-" : parameter.Default ?? "-",
                DescribeRules(parameter),
                parameter.Description ?? "");
        }

        cli.WriteTable(table);
    }

    /// <summary>Allowed values, pattern and range, e.g. <c>small|large</c>, <c>/[a-z]+/</c>, <c>1..10</c>.</summary>
    public static string DescribeRules(TemplateParameterInfo parameter)
    {
        var rules = new List<string>();
        if (parameter.AllowedValues.Count > 0)
        {
            rules.Add(string.Join("|", parameter.AllowedValues));
        }

        if (parameter.Pattern is { } pattern)
        {
            rules.Add($"/{pattern}/");
        }

        var minimum = parameter.Minimum?.ToString(CultureInfo.InvariantCulture);
        var maximum = parameter.Maximum?.ToString(CultureInfo.InvariantCulture);
        if (minimum is not null || maximum is not null)
        {
            rules.Add(minimum is not null && maximum is not null ? $"{minimum}..{maximum}" : minimum is not null ? $">= {minimum}" : $"<= {maximum}");
        }

        return rules.Count == 0 ? "-" : string.Join(", ", rules);
    }

    /// <summary>VERSION STATUS SUBMITTED KEY COMMENT, newest version first.</summary>
    public static void WriteVersions(IEnumerable<TemplateVersionInfo> versions, CliOutput cli)
    {
        var table = new TextTable("VERSION", "STATUS", "SUBMITTED", "KEY", "REVIEW COMMENT");
        foreach (var version in NewestFirst(versions))
        {
            table.AddRow(version.Version, version.Status, AppRendering.FormatTime(version.SubmittedAt), version.KeyId, FirstLine(version.ReviewComment) ?? "-");
        }

        cli.WriteTable(table);
    }

    public static IEnumerable<TemplateVersionInfo> NewestFirst(IEnumerable<TemplateVersionInfo> versions)
        => versions.OrderByDescending(v => SemanticVersion.TryParse(v.Version, out var parsed) ? parsed : null)
            .ThenByDescending(v => v.SubmittedAt);

    /// <summary>Diff lines with "+" green, "-" red and "~" yellow on a colour terminal.</summary>
    public static void WriteDiff(IReadOnlyList<string> lines, CliOutput cli)
    {
        if (lines.Count == 0)
        {
            cli.WriteLine("  (no differences)");
            return;
        }

        foreach (var line in lines)
        {
            var style = line.StartsWith('+') ? AnsiStyle.Green
                : line.StartsWith('-') ? AnsiStyle.Red
                : line.StartsWith('~') ? AnsiStyle.Yellow
                : (AnsiStyle?)null;
            cli.WriteLine("  " + (style is { } s ? cli.Paint(line, s) : line));
        }
    }

    /// <summary>Writes every line of <paramref name="text"/> indented by two spaces.</summary>
    public static void WriteIndented(string text, CliOutput cli)
    {
        foreach (var line in text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
        {
            cli.WriteLine(line.Length == 0 ? "" : "  " + line);
        }
    }

    /// <summary>Parameter values as the server returned them (secrets already masked), sorted by name.</summary>
    public static void WriteParameterValues(IReadOnlyDictionary<string, string> parameters, CliOutput cli)
    {
        cli.WriteHeading("Parameters");
        if (parameters.Count == 0)
        {
            cli.WriteLine("  (none)");
            return;
        }

        var table = new TextTable();
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            table.AddRow(name, value);
        }

        cli.WriteTable(table);
    }

    public static string PaintStatus(string status, CliOutput cli) => status switch
    {
        "approved" => cli.Paint(status, AnsiStyle.Green),
        "pending" => cli.Paint(status, AnsiStyle.Yellow),
        "rejected" => cli.Paint(status, AnsiStyle.Red),
        "deprecated" => cli.Paint(status, AnsiStyle.Dim),
        _ => status,
    };

    public static string? FirstLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var lines = text.Trim().ReplaceLineEndings("\n").Split('\n');
        return lines.Length == 1 ? lines[0] : lines[0] + " …";
    }
}
