using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Local;

/// <summary>
/// One log line of <c>ferry dev</c>'s merged stream: <c>function | message</c>, the name padded so messages line up
/// and painted in the function's own colour; stderr lines are red and platform lines (START, END, REPORT) dim.
/// </summary>
internal sealed class DevLogFormatter(FunctionColors colors, bool colored)
{
    private const string Separator = " | ";
    private int _nameWidth;

    /// <summary>Registers the app's functions (their colours, and the width names are padded to).</summary>
    public void UseFunctions(IReadOnlyList<string> functions)
    {
        colors.Register(functions);
        _nameWidth = functions.Count == 0 ? 0 : Math.Max(_nameWidth, functions.Max(name => name.Length));
    }

    public string Format(LogLine line)
    {
        var name = colors.Paint(line.Function, line.Function.PadRight(_nameWidth), colored);
        var message = line.Stream switch
        {
            "stderr" => Ansi.Paint(line.Message, AnsiStyle.Red, colored),
            "platform" => Ansi.Paint(line.Message, AnsiStyle.Dim, colored),
            _ => line.Message,
        };
        return name + Separator + message;
    }
}
