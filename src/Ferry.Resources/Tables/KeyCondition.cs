using System.Text.Json.Nodes;
using Ferry.Resources.Tables.Expressions;

namespace Ferry.Resources.Tables;

/// <summary>
/// A Query's KeyConditionExpression understood as what it selects: one partition key value (equality) and optionally
/// a range of sort key values (=, &lt;, &lt;=, &gt;, &gt;=, BETWEEN, begins_with), encoded for the store.
/// </summary>
internal sealed record KeyCondition(byte[] Partition, SortRange Range)
{
    private const string Field = "KeyConditionExpression";

    public static KeyCondition From(Condition condition, TableDefinition table, KeySchema key)
    {
        var parts = condition switch
        {
            AndCondition { Left: not AndCondition and not OrCondition, Right: not AndCondition and not OrCondition } and => new[] { and.Left, and.Right },
            AndCondition or OrCondition or NotCondition => throw Invalid("a key condition is 'partitionKey = :value' optionally AND one sort key condition (OR and NOT are not allowed)"),
            _ => [condition],
        };

        byte[]? partition = null;
        SortRange? range = null;
        foreach (var part in parts)
        {
            var (attribute, _) = Subject(part);
            if (attribute == key.PartitionKey && partition is null)
            {
                if (part is not Comparison { Operator: "=" } equality)
                {
                    throw Invalid($"Query key condition not supported: the partition key '{attribute}' takes an equality condition only");
                }

                partition = Encode(table, attribute, ValueOf(equality));
            }
            else if (attribute == key.SortKey && range is null)
            {
                range = SortRangeOf(part, table, attribute);
            }
            else
            {
                throw Invalid($"Query key condition not supported: '{attribute}' is not a key attribute of this table or index (or is used twice); the key is [{string.Join(", ", key.Attributes)}]");
            }
        }

        return partition is null
            ? throw Invalid($"Query condition missed key schema element: {key.PartitionKey}")
            : new KeyCondition(partition, range ?? SortRange.All);
    }

    private static SortRange SortRangeOf(Condition part, TableDefinition table, string attribute)
    {
        switch (part)
        {
            case Comparison comparison:
                var flipped = comparison.Left is ValueOperand;
                var op = !flipped ? comparison.Operator : comparison.Operator switch { "<" => ">", "<=" => ">=", ">" => "<", ">=" => "<=", var same => same };
                var value = Encode(table, attribute, ValueOf(comparison));
                return op switch
                {
                    "=" => new SortRange(value, true, value, true),
                    "<" => new SortRange(null, true, value, false),
                    "<=" => new SortRange(null, true, value, true),
                    ">" => new SortRange(value, false, null, true),
                    ">=" => new SortRange(value, true, null, true),
                    _ => throw Invalid($"Query key condition not supported: operator {comparison.Operator} on the sort key"),
                };
            case Between { Low: ValueOperand low, High: ValueOperand high }:
                if (AttributeValues.Compare(low.Value, high.Value) is > 0)
                {
                    throw Invalid("The BETWEEN operator requires upper bound to be greater than or equal to lower bound");
                }

                return new SortRange(Encode(table, attribute, low.Value), true, Encode(table, attribute, high.Value), true);
            case FunctionCondition { Name: "begins_with", Arguments: [_, ValueOperand prefix] }:
                if (table.TypeOf(attribute) == "N")
                {
                    throw Invalid($"Query key condition not supported: begins_with takes a string or binary sort key, '{attribute}' is a number");
                }

                var start = Encode(table, attribute, prefix.Value);
                return new SortRange(start, true, ItemKeys.PrefixEnd(start), false);
            default:
                throw Invalid("Query key condition not supported: the sort key takes =, <, <=, >, >=, BETWEEN or begins_with with :values");
        }
    }

    /// <summary>The key attribute a condition part is about.</summary>
    private static (string Attribute, Condition Part) Subject(Condition part)
    {
        var path = part switch
        {
            Comparison { Left: PathOperand left, Right: ValueOperand } => left.Path,
            Comparison { Left: ValueOperand, Right: PathOperand right } => right.Path,
            Between { Value: PathOperand value } => value.Path,
            FunctionCondition { Name: "begins_with", Arguments: [PathOperand subject, ValueOperand] } => subject.Path,
            _ => throw Invalid("Query key condition not supported: each part compares a key attribute with a :value"),
        };
        return path.Elements.Count == 1 ? (path.TopName, part) : throw Invalid($"Query key condition not supported: '{path}' is a nested path; key attributes are top-level");
    }

    private static JsonObject ValueOf(Comparison comparison) =>
        ((comparison.Left as ValueOperand) ?? (ValueOperand)comparison.Right).Value;

    private static byte[] Encode(TableDefinition table, string attribute, JsonObject value)
    {
        if (AttributeValues.TypeOf(value) != table.TypeOf(attribute))
        {
            throw Invalid($"One or more parameter values were invalid: Condition parameter type does not match schema type ('{attribute}' is {table.TypeOf(attribute)}, the value is {AttributeValues.TypeOf(value)})");
        }

        return AttributeValues.KeyBytes(value);
    }

    private static DynamoDbException Invalid(string message) => DynamoDbException.Validation($"Invalid {Field}: {message}");
}
