namespace Ferry.Cli.Local;

/// <summary>
/// Gives each function a colour of its own for the prefix of its log lines. Colours are handed out in the order
/// functions are first seen (the manifest's order, then any new ones), so a given app looks the same on every run and a
/// function keeps its colour across redeploys for the whole session. Red is left out: it marks errors.
/// </summary>
internal sealed class FunctionColors
{
    /// <summary>ANSI SGR foreground codes: cyan, magenta, yellow, green, blue, then their bright variants.</summary>
    public static IReadOnlyList<string> Palette { get; } = ["36", "35", "33", "32", "34", "96", "95", "93", "92", "94"];

    private readonly Dictionary<string, string> _assigned = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Assigns colours to <paramref name="functions"/> that have none yet, in the given order.</summary>
    public void Register(IEnumerable<string> functions)
    {
        foreach (var function in functions)
        {
            ColorOf(function);
        }
    }

    /// <summary>The SGR code of <paramref name="function"/>, assigning the next one when it is new.</summary>
    public string ColorOf(string function)
    {
        lock (_gate)
        {
            if (!_assigned.TryGetValue(function, out var color))
            {
                color = Palette[_assigned.Count % Palette.Count];
                _assigned[function] = color;
            }

            return color;
        }
    }

    /// <summary><paramref name="text"/> in <paramref name="function"/>'s colour, or as it is when colours are off.</summary>
    public string Paint(string function, string text, bool enabled)
        => enabled && text.Length > 0 ? $"\u001b[{ColorOf(function)}m{text}\u001b[0m" : text;
}
