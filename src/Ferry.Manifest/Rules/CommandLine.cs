using System.Text;

namespace Ferry.Manifest.Rules;

/// <summary>
/// Splits a web function's <c>command</c> string into argv the way a POSIX shell would for simple cases:
/// whitespace separates words, single quotes keep text literally, double quotes allow <c>\"</c> and <c>\\</c>,
/// and a backslash outside quotes escapes the next character. No expansion of variables or globs.
/// </summary>
internal static class CommandLine
{
    /// <summary>The words of <paramref name="command"/>, or null with <paramref name="problem"/> set.</summary>
    public static IReadOnlyList<string>? TrySplit(string command, out string? problem)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        problem = null;

        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            switch (c)
            {
                case '\'':
                    var closingSingle = command.IndexOf('\'', i + 1);
                    if (closingSingle < 0)
                    {
                        problem = "has an unterminated single quote";
                        return null;
                    }

                    word.Append(command, i + 1, closingSingle - i - 1);
                    i = closingSingle;
                    inWord = true;
                    break;

                case '"':
                    if (!TryReadDoubleQuoted(command, ref i, word))
                    {
                        problem = "has an unterminated double quote";
                        return null;
                    }

                    inWord = true;
                    break;

                case '\\' when i + 1 < command.Length:
                    word.Append(command[++i]);
                    inWord = true;
                    break;

                case var _ when char.IsWhiteSpace(c):
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;

                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private static bool TryReadDoubleQuoted(string command, ref int i, StringBuilder word)
    {
        for (var j = i + 1; j < command.Length; j++)
        {
            var c = command[j];
            if (c == '"')
            {
                i = j;
                return true;
            }

            if (c == '\\' && j + 1 < command.Length && command[j + 1] is '"' or '\\' or '$' or '`')
            {
                word.Append(command[++j]);
                continue;
            }

            word.Append(c);
        }

        return false;
    }
}
