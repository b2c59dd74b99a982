using System.Text.Json;

namespace Ferry.Cli.Output;

/// <summary>
/// What a command prints: results on stdout (as text or as JSON, per <c>--output</c>), warnings and progress on stderr.
/// Colours only reach terminals, and never when NO_COLOR is set.
/// </summary>
internal sealed class CliOutput(CliContext context, OutputFormat format)
{
    public OutputFormat Format { get; } = format;

    public bool IsJson => Format == OutputFormat.Json;

    public TextWriter Out => context.Out;

    public TextWriter Error => context.Error;

    public void WriteLine(string text = "") => context.Out.WriteLine(text);

    /// <summary>Writes <paramref name="value"/> as indented JSON.</summary>
    public void WriteJson<T>(T value) => context.Out.WriteLine(JsonSerializer.Serialize(value, CliJson.Indented));

    /// <summary>Writes <paramref name="value"/> as JSON on one line (for NDJSON output).</summary>
    public void WriteJsonLine<T>(T value) => context.Out.WriteLine(JsonSerializer.Serialize(value, CliJson.Compact));

    public void WriteHeading(string text) => context.Out.WriteLine(Paint(text, AnsiStyle.Bold));

    /// <summary>Writes the table indented by two spaces; the header line, when there is one, is dimmed.</summary>
    public void WriteTable(TextTable table)
    {
        var lines = table.Render();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = table.HasHeaders && i == 0 ? Paint(lines[i], AnsiStyle.Dim) : lines[i];
            context.Out.WriteLine("  " + line);
        }
    }

    /// <summary>Colours text for stdout (no-op when stdout is not a colour terminal).</summary>
    public string Paint(string text, AnsiStyle style) => Ansi.Paint(text, style, context.ColorOut);

    /// <summary>Writes "warning: …" to stderr.</summary>
    public void WriteWarning(string message)
        => context.Error.WriteLine($"{Ansi.Paint("warning:", AnsiStyle.Yellow, context.ColorError)} {message}");

    /// <summary>Writes an informational line to stderr, keeping stdout clean for results.</summary>
    public void WriteNote(string message) => context.Error.WriteLine(Ansi.Paint(message, AnsiStyle.Dim, context.ColorError));

    /// <summary>A progress line on stderr for a long step.</summary>
    public StatusLine StartStatus() => new(context.Error, context.ErrorIsTerminal, context.Time);
}
