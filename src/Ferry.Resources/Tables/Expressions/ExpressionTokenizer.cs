namespace Ferry.Resources.Tables.Expressions;

internal enum TokenKind
{
    /// <summary>A bare word: an attribute name, a keyword (AND, SET…) or a function name.</summary>
    Word,

    /// <summary><c>#name</c>: an ExpressionAttributeNames placeholder.</summary>
    NamePlaceholder,

    /// <summary><c>:value</c>: an ExpressionAttributeValues placeholder.</summary>
    ValuePlaceholder,

    /// <summary>Digits (a list index).</summary>
    Integer,

    /// <summary>One of <c>= &lt;&gt; &lt; &lt;= &gt; &gt;= ( ) [ ] , . + -</c>.</summary>
    Symbol,

    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position)
{
    public bool IsWord(string keyword) => Kind == TokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    public bool IsSymbol(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    public override string ToString() => Kind == TokenKind.End ? "the end of the expression" : $"'{Text}'";
}

/// <summary>Splits a DynamoDB expression into tokens.</summary>
internal static class ExpressionTokenizer
{
    public const int MaxExpressionLength = 4096;

    /// <exception cref="DynamoDbException">A character that no token starts with, or an over-long expression.</exception>
    public static List<Token> Tokenize(string expression, string what)
    {
        if (expression.Length > MaxExpressionLength)
        {
            throw DynamoDbException.Validation($"Invalid {what}: The expression size has exceeded the maximum allowed size of {MaxExpressionLength} characters");
        }

        var tokens = new List<Token>();
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            if (c is '#' or ':')
            {
                i++;
                while (i < expression.Length && IsNameChar(expression[i]))
                {
                    i++;
                }

                if (i == start + 1)
                {
                    throw Syntax(what, $"'{c}' at position {start} must be followed by a placeholder name");
                }

                tokens.Add(new Token(c == '#' ? TokenKind.NamePlaceholder : TokenKind.ValuePlaceholder, expression[start..i], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                while (i < expression.Length && char.IsAsciiDigit(expression[i]))
                {
                    i++;
                }

                // An attribute name may start with a digit (e.g. "2fa"), an index is digits only.
                if (i < expression.Length && IsNameChar(expression[i]))
                {
                    while (i < expression.Length && IsNameChar(expression[i]))
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Word, expression[start..i], start));
                }
                else
                {
                    tokens.Add(new Token(TokenKind.Integer, expression[start..i], start));
                }
            }
            else if (IsNameChar(c))
            {
                while (i < expression.Length && IsNameChar(expression[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, expression[start..i], start));
            }
            else if (c is '<' or '>' && i + 1 < expression.Length && (expression[i + 1] == '=' || (c == '<' && expression[i + 1] == '>')))
            {
                tokens.Add(new Token(TokenKind.Symbol, expression.Substring(i, 2), start));
                i += 2;
            }
            else if (c is '=' or '<' or '>' or '(' or ')' or '[' or ']' or ',' or '.' or '+' or '-')
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start));
                i++;
            }
            else
            {
                throw Syntax(what, $"Invalid character '{c}' at position {start}");
            }
        }

        tokens.Add(new Token(TokenKind.End, "", expression.Length));
        return tokens;
    }

    public static DynamoDbException Syntax(string what, string message) => DynamoDbException.Validation($"Invalid {what}: Syntax error; {message}");

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
