using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables.Expressions;

/// <summary>One step of a document path: an attribute (or map member) name, or a list index.</summary>
internal readonly record struct PathElement(string? Name, int Index)
{
    public static PathElement Member(string name) => new(name, -1);

    public static PathElement At(int index) => new(null, index);

    public override string ToString() => Name ?? $"[{Index}]";
}

/// <summary>A document path such as <c>a.b[2].c</c>, with placeholders already replaced by names.</summary>
internal sealed record DocumentPath(IReadOnlyList<PathElement> Elements)
{
    public string TopName => Elements[0].Name!;

    public bool Overlaps(DocumentPath other)
    {
        var shared = Math.Min(Elements.Count, other.Elements.Count);
        for (var i = 0; i < shared; i++)
        {
            if (Elements[i] != other.Elements[i])
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() =>
        string.Concat(Elements.Select((e, i) => e.Name is null ? $"[{e.Index}]" : i == 0 ? e.Name : "." + e.Name));
}

internal abstract record Operand;

internal sealed record PathOperand(DocumentPath Path) : Operand;

internal sealed record ValueOperand(string Placeholder, JsonObject Value) : Operand;

internal sealed record SizeOperand(DocumentPath Path) : Operand;

internal sealed record IfNotExistsOperand(DocumentPath Path, Operand Fallback) : Operand;

internal sealed record ListAppendOperand(Operand First, Operand Second) : Operand;

internal sealed record ArithmeticOperand(Operand Left, bool Subtract, Operand Right) : Operand;

internal abstract record Condition;

/// <param name="Operator">One of <c>= &lt;&gt; &lt; &lt;= &gt; &gt;=</c>.</param>
internal sealed record Comparison(Operand Left, string Operator, Operand Right) : Condition;

internal sealed record Between(Operand Value, Operand Low, Operand High) : Condition;

internal sealed record InList(Operand Value, IReadOnlyList<Operand> Candidates) : Condition;

/// <param name="Name">attribute_exists, attribute_not_exists, attribute_type, begins_with or contains (lower case).</param>
internal sealed record FunctionCondition(string Name, IReadOnlyList<Operand> Arguments) : Condition;

internal sealed record AndCondition(Condition Left, Condition Right) : Condition;

internal sealed record OrCondition(Condition Left, Condition Right) : Condition;

internal sealed record NotCondition(Condition Inner) : Condition;

internal enum UpdateAction
{
    Set,
    Remove,
    Add,
    Delete,
}

/// <param name="Value">The value to set, add or delete; null for REMOVE.</param>
internal sealed record UpdateClause(UpdateAction Action, DocumentPath Path, Operand? Value);
