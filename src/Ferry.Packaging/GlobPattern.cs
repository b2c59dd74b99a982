using System.Text;
using System.Text.RegularExpressions;

namespace Ferry.Packaging;

/// <summary>
/// A glob matched against '/'-separated paths relative to the service directory, with the micromatch semantics the
/// Serverless Framework uses for <c>package.patterns</c> (dot files match like any other file, no base-name matching):
/// <list type="bullet">
/// <item><c>*</c> matches any characters within one path segment, <c>?</c> exactly one such character;</item>
/// <item><c>**</c> as a whole segment matches any number of segments, including none
/// (<c>**/x</c> matches <c>x</c> and <c>a/b/x</c>; <c>a/**</c> matches everything under <c>a</c>);</item>
/// <item><c>[abc]</c>, <c>[a-z]</c>, <c>[!a]</c> match one character of (or not of) a set;</item>
/// <item><c>{a,b}</c> matches either alternative; <c>\</c> escapes the next character.</item>
/// </list>
/// A pattern without '/' therefore matches only at the top level (<c>*.md</c> matches <c>README.md</c>, not
/// <c>docs/a.md</c>; write <c>**/*.md</c> for any depth). A leading <c>./</c> is ignored, and a trailing '/'
/// means "everything under this directory". Matching is case-sensitive.
/// </summary>
public sealed class GlobPattern
{
    private readonly Regex _regex;

    private GlobPattern(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    /// <summary>The glob as written.</summary>
    public string Pattern { get; }

    /// <summary>Compiles <paramref name="pattern"/>; throws <see cref="ArgumentException"/> when it is empty.</summary>
    public static GlobPattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var body = pattern;
        while (body.StartsWith("./", StringComparison.Ordinal))
        {
            body = body[2..];
        }

        if (body.EndsWith('/'))
        {
            body += "**";
        }

        if (body.Length == 0)
        {
            throw new ArgumentException($"The glob pattern '{pattern}' is empty.", nameof(pattern));
        }

        var regex = new Regex("^" + Translate(body) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
        return new GlobPattern(pattern, regex);
    }

    /// <summary>True when <paramref name="relativePath"/> ('/'-separated, no leading slash) matches.</summary>
    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath);

    public override string ToString() => Pattern;

    private static string Translate(string glob)
    {
        var regex = new StringBuilder();
        var i = 0;
        while (i < glob.Length)
        {
            var c = glob[i];
            switch (c)
            {
                case '*' when IsGlobstar(glob, i):
                    i = AppendGlobstar(glob, i, regex);
                    continue;
                case '*':
                    while (i < glob.Length && glob[i] == '*')
                    {
                        i++;
                    }

                    regex.Append("[^/]*");
                    continue;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[' when TryAppendCharacterClass(glob, ref i, regex):
                    continue;
                case '{' when TryAppendAlternatives(glob, ref i, regex):
                    continue;
                case '\\' when i + 1 < glob.Length:
                    i++;
                    regex.Append(Regex.Escape(glob[i].ToString()));
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }

            i++;
        }

        return regex.ToString();
    }

    /// <summary>"**" counts as a globstar only when it is a whole segment.</summary>
    private static bool IsGlobstar(string glob, int i) =>
        i + 1 < glob.Length && glob[i + 1] == '*'
        && (i == 0 || glob[i - 1] == '/')
        && (i + 2 == glob.Length || glob[i + 2] == '/');

    private static int AppendGlobstar(string glob, int i, StringBuilder regex)
    {
        var atStart = i == 0;
        var atEnd = i + 2 == glob.Length;
        if (atStart && atEnd)
        {
            regex.Append(".*");
            return i + 2;
        }

        if (atEnd)
        {
            // "a/**": the '/' before is already emitted; make "/anything" optional so "a/**" also covers "a".
            regex.Length -= 1;
            regex.Append("(?:/.*)?");
            return i + 2;
        }

        // "**/" at the start or in the middle: zero or more whole segments, each followed by '/'.
        regex.Append("(?:.*/)?");
        var next = i + 3;
        while (next + 2 < glob.Length && glob[next] == '*' && glob[next + 1] == '*' && glob[next + 2] == '/')
        {
            next += 3; // "**/**/" is the same as "**/"
        }

        return next;
    }

    private static bool TryAppendCharacterClass(string glob, ref int i, StringBuilder regex)
    {
        var start = i + 1;
        var negate = start < glob.Length && (glob[start] == '!' || glob[start] == '^');
        if (negate)
        {
            start++;
        }

        // A ']' right after the opening bracket is a member, not the end.
        var end = glob.IndexOf(']', start < glob.Length && glob[start] == ']' ? start + 1 : start);
        if (end < 0 || glob.AsSpan(start, end - start).Contains('/'))
        {
            return false;
        }

        regex.Append('[');
        if (negate)
        {
            regex.Append('^');
        }

        foreach (var member in glob.AsSpan(start, end - start))
        {
            regex.Append(member is '\\' or '[' or ']' or '^' ? "\\" + member : member.ToString());
        }

        if (negate)
        {
            regex.Append('/'); // a negated class never matches the separator
        }

        regex.Append(']');
        i = end + 1;
        return true;
    }

    private static bool TryAppendAlternatives(string glob, ref int i, StringBuilder regex)
    {
        var depth = 0;
        var alternatives = new List<string>();
        var current = new StringBuilder();
        for (var j = i + 1; j < glob.Length; j++)
        {
            var c = glob[j];
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (c == '}')
            {
                alternatives.Add(current.ToString());
                if (alternatives.Count < 2)
                {
                    return false; // "{x}" is literal, as in micromatch
                }

                regex.Append("(?:").AppendJoin('|', alternatives.Select(Translate)).Append(')');
                i = j + 1;
                return true;
            }
            else if (c == ',' && depth == 0)
            {
                alternatives.Add(current.ToString());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        return false;
    }
}
