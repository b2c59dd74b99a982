using System.Globalization;

namespace Ferry.Resources.Tables.Expressions;

/// <summary>
/// Recursive-descent parser of DynamoDB's expressions — condition (also filter and key condition), update and
/// projection — over <see cref="ExpressionTokenizer"/>'s tokens. Placeholders are replaced while parsing, so the
/// trees hold real names and values. Precedence, lowest first: OR, AND, NOT, then comparisons/BETWEEN/IN/functions.
/// </summary>
internal sealed class ExpressionParser
{
    private const int MaxDepth = 64;
    private const int MaxOperands = 300;

    private static readonly HashSet<string> ConditionFunctions = new(StringComparer.Ordinal)
    {
        "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains",
    };

    private readonly List<Token> tokens;
    private readonly ExpressionAttributes attributes;
    private readonly string what;
    private int position;
    private int depth;

    private ExpressionParser(string expression, ExpressionAttributes attributes, string what)
    {
        this.what = what;
        this.attributes = attributes;
        tokens = ExpressionTokenizer.Tokenize(expression, what);
        if (tokens.Count == 1)
        {
            throw DynamoDbException.Validation($"Invalid {what}: The expression can not be empty;");
        }
    }

    private Token Current => tokens[position];

    public static Condition ParseCondition(string expression, ExpressionAttributes attributes, string what = "ConditionExpression")
    {
        var parser = new ExpressionParser(expression, attributes, what);
        var condition = parser.Or();
        parser.ExpectEnd();
        return condition;
    }

    public static IReadOnlyList<UpdateClause> ParseUpdate(string expression, ExpressionAttributes attributes)
    {
        var parser = new ExpressionParser(expression, attributes, "UpdateExpression");
        var clauses = parser.Update();
        parser.ExpectEnd();
        return clauses;
    }

    public static IReadOnlyList<DocumentPath> ParseProjection(string expression, ExpressionAttributes attributes)
    {
        var parser = new ExpressionParser(expression, attributes, "ProjectionExpression");
        var paths = new List<DocumentPath> { parser.Path() };
        while (parser.Current.IsSymbol(","))
        {
            parser.position++;
            paths.Add(parser.Path());
        }

        parser.ExpectEnd();
        return paths;
    }

    private Condition Or()
    {
        var left = And();
        while (Current.IsWord("OR"))
        {
            position++;
            left = new OrCondition(left, And());
        }

        return left;
    }

    private Condition And()
    {
        var left = Not();
        while (Current.IsWord("AND"))
        {
            position++;
            left = new AndCondition(left, Not());
        }

        return left;
    }

    private Condition Not()
    {
        if (Current.IsWord("NOT"))
        {
            position++;
            Enter();
            var inner = Not();
            depth--;
            return new NotCondition(inner);
        }

        return Primary();
    }

    private Condition Primary()
    {
        if (Current.IsSymbol("("))
        {
            position++;
            Enter();
            var inner = Or();
            depth--;
            Expect(")");
            return inner;
        }

        if (Current.Kind == TokenKind.Word && Peek(1).IsSymbol("(") && ConditionFunctions.Contains(Current.Text))
        {
            var name = Current.Text;
            position += 2;
            var arguments = new List<Operand> { Operand() };
            while (Current.IsSymbol(","))
            {
                position++;
                arguments.Add(Operand());
            }

            Expect(")");
            var expected = name is "attribute_exists" or "attribute_not_exists" ? 1 : 2;
            if (arguments.Count != expected)
            {
                throw Invalid($"Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {arguments.Count}");
            }

            if (arguments[0] is not PathOperand)
            {
                throw Invalid($"Operator or function requires a document path; operator or function: {name}");
            }

            return new FunctionCondition(name, arguments);
        }

        var left = Operand();
        var token = Current;
        if (token.Kind == TokenKind.Symbol && token.Text is "=" or "<>" or "<" or "<=" or ">" or ">=")
        {
            position++;
            return new Comparison(left, token.Text, Operand());
        }

        if (token.IsWord("BETWEEN"))
        {
            position++;
            var low = Operand();
            if (!Current.IsWord("AND"))
            {
                throw Syntax($"BETWEEN needs AND between its bounds; token: {Current}");
            }

            position++;
            return new Between(left, low, Operand());
        }

        if (token.IsWord("IN"))
        {
            position++;
            Expect("(");
            var candidates = new List<Operand> { Operand() };
            while (Current.IsSymbol(","))
            {
                position++;
                candidates.Add(Operand());
                if (candidates.Count > 100)
                {
                    throw Invalid("The IN operator takes at most 100 values");
                }
            }

            Expect(")");
            return new InList(left, candidates);
        }

        throw Syntax($"token: {token}, near position {token.Position}; a condition is 'operand comparator operand', BETWEEN, IN or a function");
    }

    /// <summary>A path, a :value or size(path).</summary>
    private Operand Operand()
    {
        var token = Current;
        if (token.Kind == TokenKind.ValuePlaceholder)
        {
            position++;
            return new ValueOperand(token.Text, attributes.Value(token, what));
        }

        if (token.Kind == TokenKind.Word && Peek(1).IsSymbol("("))
        {
            if (token.Text != "size")
            {
                throw Invalid($"Invalid function name; function: {token.Text}");
            }

            position += 2;
            var path = Path();
            Expect(")");
            return new SizeOperand(path);
        }

        return new PathOperand(Path());
    }

    private DocumentPath Path()
    {
        var elements = new List<PathElement> { PathElement.Member(PathName()) };
        while (true)
        {
            if (Current.IsSymbol("."))
            {
                position++;
                elements.Add(PathElement.Member(PathName()));
            }
            else if (Current.IsSymbol("["))
            {
                position++;
                var index = Current;
                if (index.Kind != TokenKind.Integer || !int.TryParse(index.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var at))
                {
                    throw Syntax($"a list index must be a non-negative integer; token: {index}");
                }

                position++;
                Expect("]");
                elements.Add(PathElement.At(at));
            }
            else
            {
                break;
            }

            if (elements.Count > 32)
            {
                throw Invalid("The document path has more than 32 levels");
            }
        }

        return new DocumentPath(elements);
    }

    private string PathName()
    {
        var token = Current;
        position++;
        return token.Kind switch
        {
            TokenKind.NamePlaceholder => attributes.Name(token, what),
            TokenKind.Word when IsReserved(token.Text) => throw Invalid(
                $"Attribute name is a reserved keyword; reserved keyword: {token.Text} (use ExpressionAttributeNames: #name)"),
            TokenKind.Word => token.Text,
            _ => throw Syntax($"an attribute name was expected; token: {token}, near position {token.Position}"),
        };
    }

    private List<UpdateClause> Update()
    {
        var clauses = new List<UpdateClause>();
        var seen = new HashSet<UpdateAction>();
        while (Current.Kind != TokenKind.End)
        {
            var keyword = Current;
            UpdateAction action = keyword.IsWord("SET") ? UpdateAction.Set
                : keyword.IsWord("REMOVE") ? UpdateAction.Remove
                : keyword.IsWord("ADD") ? UpdateAction.Add
                : keyword.IsWord("DELETE") ? UpdateAction.Delete
                : throw Syntax($"SET, REMOVE, ADD or DELETE was expected; token: {keyword}, near position {keyword.Position}");
            if (!seen.Add(action))
            {
                throw Invalid($"The \"{action.ToString().ToUpperInvariant()}\" section can only be used once in an update expression;");
            }

            position++;
            var more = true;
            while (more)
            {
                var path = Path();
                Operand? value = null;
                switch (action)
                {
                    case UpdateAction.Set:
                        Expect("=");
                        value = SetValue();
                        break;
                    case UpdateAction.Add or UpdateAction.Delete:
                        var token = Current;
                        if (token.Kind != TokenKind.ValuePlaceholder)
                        {
                            throw Syntax($"{action.ToString().ToUpperInvariant()} takes a path and a :value; token: {token}");
                        }

                        position++;
                        value = new ValueOperand(token.Text, attributes.Value(token, what));
                        break;
                }

                if (clauses.FirstOrDefault(c => c.Path.Overlaps(path)) is { } other)
                {
                    throw Invalid($"Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [{other.Path}], path two: [{path}]");
                }

                clauses.Add(new UpdateClause(action, path, value));
                if (clauses.Count > MaxOperands)
                {
                    throw Invalid($"An update expression has at most {MaxOperands} actions");
                }

                more = Current.IsSymbol(",");
                if (more)
                {
                    position++;
                }
            }
        }

        return clauses;
    }

    /// <summary>SET's right-hand side: operand, or operand + operand, or operand - operand.</summary>
    private Operand SetValue()
    {
        var left = SetOperand();
        if (Current.IsSymbol("+") || Current.IsSymbol("-"))
        {
            var subtract = Current.Text == "-";
            position++;
            return new ArithmeticOperand(left, subtract, SetOperand());
        }

        return left;
    }

    private Operand SetOperand()
    {
        var token = Current;
        if (token.Kind == TokenKind.Word && Peek(1).IsSymbol("("))
        {
            position += 2;
            Enter();
            Operand result;
            switch (token.Text)
            {
                case "if_not_exists":
                    var path = Path();
                    Expect(",");
                    result = new IfNotExistsOperand(path, SetOperand());
                    break;
                case "list_append":
                    var first = SetOperand();
                    Expect(",");
                    result = new ListAppendOperand(first, SetOperand());
                    break;
                default:
                    throw Invalid($"Invalid function name in an update expression; function: {token.Text} (SET accepts if_not_exists and list_append)");
            }

            depth--;
            Expect(")");
            return result;
        }

        if (token.Kind == TokenKind.ValuePlaceholder)
        {
            position++;
            return new ValueOperand(token.Text, attributes.Value(token, what));
        }

        return new PathOperand(Path());
    }

    private static bool IsReserved(string word) =>
        word.ToUpperInvariant() is "AND" or "OR" or "NOT" or "BETWEEN" or "IN" or "SET" or "REMOVE" or "ADD" or "DELETE";

    private Token Peek(int ahead) => tokens[Math.Min(position + ahead, tokens.Count - 1)];

    private void Enter()
    {
        if (++depth > MaxDepth)
        {
            throw Invalid($"The expression is nested more than {MaxDepth} levels deep");
        }
    }

    private void Expect(string symbol)
    {
        if (!Current.IsSymbol(symbol))
        {
            throw Syntax($"'{symbol}' was expected; token: {Current}, near position {Current.Position}");
        }

        position++;
    }

    private void ExpectEnd()
    {
        if (Current.Kind != TokenKind.End)
        {
            throw Syntax($"token: {Current}, near position {Current.Position}; the expression should have ended");
        }
    }

    private DynamoDbException Syntax(string message) => ExpressionTokenizer.Syntax(what, message);

    private DynamoDbException Invalid(string message) => DynamoDbException.Validation($"Invalid {what}: {message}");
}
