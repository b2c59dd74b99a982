namespace Ferry.Cli.Output;

internal enum AnsiStyle
{
    Bold,
    Dim,
    Red,
    Green,
    Yellow,
    Cyan,
}

/// <summary>ANSI SGR colouring, applied only when the target stream allows colours.</summary>
internal static class Ansi
{
    public static string Paint(string text, AnsiStyle style, bool enabled)
    {
        if (!enabled || text.Length == 0)
        {
            return text;
        }

        var code = style switch
        {
            AnsiStyle.Bold => "1",
            AnsiStyle.Dim => "2",
            AnsiStyle.Red => "31",
            AnsiStyle.Green => "32",
            AnsiStyle.Yellow => "33",
            AnsiStyle.Cyan => "36",
            _ => throw new ArgumentOutOfRangeException(nameof(style), style, "Unknown ANSI style."),
        };
        return $"\u001b[{code}m{text}\u001b[0m";
    }
}
