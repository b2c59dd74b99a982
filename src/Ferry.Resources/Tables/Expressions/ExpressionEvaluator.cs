using System.Globalization;
using System.Text.Json.Nodes;

namespace Ferry.Resources.Tables.Expressions;

/// <summary>
/// Evaluates parsed expressions against items (maps of attribute names to wire-form values): conditions and filters,
/// update actions, projections. Comparisons follow DynamoDB: values of different types are never equal, and an
/// ordering comparison of a missing attribute or of different types is false (only <c>&lt;&gt;</c> is then true).
/// </summary>
internal static class ExpressionEvaluator
{
    public static bool Matches(Condition condition, JsonObject? item)
    {
        item ??= [];
        switch (condition)
        {
            case AndCondition and:
                return Matches(and.Left, item) && Matches(and.Right, item);
            case OrCondition or:
                return Matches(or.Left, item) || Matches(or.Right, item);
            case NotCondition not:
                return !Matches(not.Inner, item);
            case Comparison comparison:
                var left = Resolve(comparison.Left, item);
                var right = Resolve(comparison.Right, item);
                if (comparison.Operator == "=")
                {
                    return AttributeValues.AreEqual(left, right);
                }

                if (comparison.Operator == "<>")
                {
                    return !AttributeValues.AreEqual(left, right);
                }

                return AttributeValues.Compare(left, right) is { } order && comparison.Operator switch
                {
                    "<" => order < 0,
                    "<=" => order <= 0,
                    ">" => order > 0,
                    _ => order >= 0,
                };
            case Between between:
                var value = Resolve(between.Value, item);
                return AttributeValues.Compare(value, Resolve(between.Low, item)) is >= 0
                    && AttributeValues.Compare(value, Resolve(between.High, item)) is <= 0;
            case InList inList:
                var candidate = Resolve(inList.Value, item);
                return inList.Candidates.Any(c => AttributeValues.AreEqual(candidate, Resolve(c, item)));
            case FunctionCondition function:
                return Function(function, item);
            default:
                throw new ArgumentOutOfRangeException(nameof(condition), condition, "unknown condition");
        }
    }

    private static bool Function(FunctionCondition function, JsonObject item)
    {
        var subject = Resolve(function.Arguments[0], item);
        switch (function.Name)
        {
            case "attribute_exists":
                return subject is not null;
            case "attribute_not_exists":
                return subject is null;
            case "attribute_type":
                var type = Resolve(function.Arguments[1], item);
                if (type is null || AttributeValues.TypeOf(type) != "S" || !AttributeValues.Types.Contains(AttributeValues.Payload(type)!.GetValue<string>()))
                {
                    throw DynamoDbException.Validation($"Invalid ConditionExpression: Invalid attribute type name found; type: {(type is null ? "(none)" : AttributeValues.Payload(type))}, valid types: {string.Join(",", AttributeValues.Types)}");
                }

                return subject is not null && AttributeValues.TypeOf(subject) == AttributeValues.Payload(type)!.GetValue<string>();
            case "begins_with":
                var prefix = Resolve(function.Arguments[1], item);
                if (subject is null || prefix is null || AttributeValues.TypeOf(subject) != AttributeValues.TypeOf(prefix))
                {
                    return false;
                }

                return AttributeValues.TypeOf(subject) switch
                {
                    "S" => AttributeValues.Payload(subject)!.GetValue<string>().StartsWith(AttributeValues.Payload(prefix)!.GetValue<string>(), StringComparison.Ordinal),
                    "B" => AttributeValues.BytesOf(subject).AsSpan().StartsWith(AttributeValues.BytesOf(prefix)),
                    _ => false,
                };
            case "contains":
                var operand = Resolve(function.Arguments[1], item);
                if (subject is null || operand is null)
                {
                    return false;
                }

                var operandType = AttributeValues.TypeOf(operand);
                return AttributeValues.TypeOf(subject) switch
                {
                    "S" when operandType == "S" => AttributeValues.Payload(subject)!.GetValue<string>().Contains(AttributeValues.Payload(operand)!.GetValue<string>(), StringComparison.Ordinal),
                    "B" when operandType == "B" => AttributeValues.BytesOf(subject).AsSpan().IndexOf(AttributeValues.BytesOf(operand)) >= 0,
                    "SS" when operandType == "S" => AttributeValues.SetMembers(subject).Contains(AttributeValues.Payload(operand)!.GetValue<string>()),
                    "BS" when operandType == "B" => AttributeValues.SetMembers(subject).Contains(AttributeValues.Payload(operand)!.GetValue<string>()),
                    "NS" when operandType == "N" => AttributeValues.SetMembers(subject).Contains(AttributeValues.NumberOf(operand).ToString()),
                    "L" => ((JsonArray)AttributeValues.Payload(subject)!).Any(element => AttributeValues.AreEqual(element, operand)),
                    _ => false,
                };
            default:
                throw DynamoDbException.Validation($"Invalid function name; function: {function.Name}");
        }
    }

    /// <summary>The value of an operand on <paramref name="item"/>; null when a path does not exist.</summary>
    public static JsonNode? Resolve(Operand operand, JsonObject item) => operand switch
    {
        ValueOperand value => value.Value,
        PathOperand path => Get(path.Path, item),
        SizeOperand size => Get(size.Path, item) is { } sized ? SizeOf(sized) : null,
        IfNotExistsOperand ifNotExists => Get(ifNotExists.Path, item) ?? Resolve(ifNotExists.Fallback, item),
        ListAppendOperand append => ListAppend(Resolve(append.First, item), Resolve(append.Second, item)),
        ArithmeticOperand arithmetic => Arithmetic(arithmetic, item),
        _ => throw new ArgumentOutOfRangeException(nameof(operand), operand, "unknown operand"),
    };

    public static JsonNode? Get(DocumentPath path, JsonObject item)
    {
        JsonNode? current = item.TryGetPropertyValue(path.Elements[0].Name!, out var top) ? top : null;
        foreach (var element in path.Elements.Skip(1))
        {
            if (current is null)
            {
                return null;
            }

            var type = AttributeValues.TypeOf(current);
            var payload = AttributeValues.Payload(current);
            current = element.Name is { } name
                ? type == "M" && ((JsonObject)payload!).TryGetPropertyValue(name, out var member) ? member : null
                : type == "L" && element.Index < ((JsonArray)payload!).Count ? ((JsonArray)payload!)[element.Index] : null;
        }

        return current;
    }

    private static JsonObject SizeOf(JsonNode value)
    {
        var payload = AttributeValues.Payload(value);
        var size = AttributeValues.TypeOf(value) switch
        {
            "S" => payload!.GetValue<string>().EnumerateRunes().Count(),
            "B" => AttributeValues.BytesOf(value).Length,
            "SS" or "NS" or "BS" or "L" => ((JsonArray)payload!).Count,
            "M" => ((JsonObject)payload!).Count,
            var other => throw DynamoDbException.Validation($"Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: {other}"),
        };
        return AttributeValues.Number(DynamoNumber.Parse(size.ToString(CultureInfo.InvariantCulture)));
    }

    private static JsonObject ListAppend(JsonNode? first, JsonNode? second)
    {
        if (first is null || second is null || AttributeValues.TypeOf(first) != "L" || AttributeValues.TypeOf(second) != "L")
        {
            throw DynamoDbException.Validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: "
                + (first is null || second is null ? "(missing attribute)" : AttributeValues.TypeOf(AttributeValues.TypeOf(first) != "L" ? first : second)));
        }

        return AttributeValues.Of("L", new JsonArray([.. ((JsonArray)AttributeValues.Payload(first)!).Concat((JsonArray)AttributeValues.Payload(second)!).Select(e => e!.DeepClone())]));
    }

    private static JsonObject Arithmetic(ArithmeticOperand arithmetic, JsonObject item)
    {
        var left = Resolve(arithmetic.Left, item);
        var right = Resolve(arithmetic.Right, item);
        if (left is null || right is null)
        {
            throw DynamoDbException.Validation("The provided expression refers to an attribute that does not exist in the item");
        }

        if (AttributeValues.TypeOf(left) != "N" || AttributeValues.TypeOf(right) != "N")
        {
            var wrong = AttributeValues.TypeOf(AttributeValues.TypeOf(left) != "N" ? left : right);
            throw DynamoDbException.Validation($"An operand in the update expression has an incorrect data type; operator: {(arithmetic.Subtract ? "-" : "+")}, operand type: {wrong}");
        }

        var b = AttributeValues.NumberOf(right);
        return AttributeValues.Number(AttributeValues.NumberOf(left).Add(arithmetic.Subtract ? b.Negate() : b));
    }

    /// <summary>Applies update actions to a copy of <paramref name="item"/> (which may be new: just its key).</summary>
    public static JsonObject Apply(IReadOnlyList<UpdateClause> clauses, JsonObject item)
    {
        var original = item;
        var updated = (JsonObject)item.DeepClone();

        // Values are computed from the item as it was before any action, as DynamoDB does.
        var values = clauses.Select(c => c.Value is null ? null : Resolve(c.Value, original)?.DeepClone()).ToList();

        // REMOVE of list elements: highest index first, so earlier removals don't shift later ones.
        var order = Enumerable.Range(0, clauses.Count)
            .OrderBy(i => clauses[i].Action == UpdateAction.Remove ? 1 : 0)
            .ThenByDescending(i => clauses[i].Action == UpdateAction.Remove && clauses[i].Path.Elements[^1].Name is null ? clauses[i].Path.Elements[^1].Index : 0)
            .ToList();
        foreach (var i in order)
        {
            var clause = clauses[i];
            var value = values[i];
            switch (clause.Action)
            {
                case UpdateAction.Set:
                    if (value is null)
                    {
                        throw DynamoDbException.Validation("The provided expression refers to an attribute that does not exist in the item");
                    }

                    Put(updated, clause.Path, value);
                    break;
                case UpdateAction.Remove:
                    Remove(updated, clause.Path);
                    break;
                case UpdateAction.Add:
                    Put(updated, clause.Path, Add(Get(clause.Path, updated), value!));
                    break;
                case UpdateAction.Delete:
                    if (DeleteFromSet(Get(clause.Path, updated), value!) is { } remaining)
                    {
                        Put(updated, clause.Path, remaining);
                    }
                    else
                    {
                        Remove(updated, clause.Path);
                    }

                    break;
            }
        }

        return updated;
    }

    private static JsonNode Add(JsonNode? current, JsonNode value)
    {
        var type = AttributeValues.TypeOf(value);
        if (type is not ("N" or "SS" or "NS" or "BS"))
        {
            throw DynamoDbException.Validation($"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: {type} (ADD takes a number or a set)");
        }

        if (current is null)
        {
            return value;
        }

        if (AttributeValues.TypeOf(current) != type)
        {
            throw DynamoDbException.Validation($"An operand in the update expression has an incorrect data type; ADD of {type} to an attribute of type {AttributeValues.TypeOf(current)}");
        }

        if (type == "N")
        {
            return AttributeValues.Number(AttributeValues.NumberOf(current).Add(AttributeValues.NumberOf(value)));
        }

        var members = ((JsonArray)AttributeValues.Payload(current)!).Select(m => m!.GetValue<string>()).ToList();
        var present = AttributeValues.SetMembers(current);
        foreach (var added in (JsonArray)AttributeValues.Payload(value)!)
        {
            var text = added!.GetValue<string>();
            if (present.Add(text))
            {
                members.Add(text);
            }
        }

        return AttributeValues.Of(type, new JsonArray([.. members.Select(m => (JsonNode)m)]));
    }

    private static JsonNode? DeleteFromSet(JsonNode? current, JsonNode value)
    {
        var type = AttributeValues.TypeOf(value);
        if (type is not ("SS" or "NS" or "BS"))
        {
            throw DynamoDbException.Validation($"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: {type} (DELETE takes a set)");
        }

        if (current is null)
        {
            return null;
        }

        if (AttributeValues.TypeOf(current) != type)
        {
            throw DynamoDbException.Validation($"An operand in the update expression has an incorrect data type; DELETE of {type} from an attribute of type {AttributeValues.TypeOf(current)}");
        }

        var removed = AttributeValues.SetMembers(value);
        var left = ((JsonArray)AttributeValues.Payload(current)!).Select(m => m!.GetValue<string>())
            .Where(m => !removed.Contains(type == "NS" ? DynamoNumber.Parse(m).ToString() : m)).ToList();
        return left.Count == 0 ? null : AttributeValues.Of(type, new JsonArray([.. left.Select(m => (JsonNode)m)]));
    }

    private static void Put(JsonObject item, DocumentPath path, JsonNode value)
    {
        if (path.Elements.Count == 1)
        {
            item[path.TopName] = value;
            return;
        }

        var parent = Get(new DocumentPath([.. path.Elements.SkipLast(1)]), item);
        var last = path.Elements[^1];
        if (parent is not null && last.Name is { } name && AttributeValues.TypeOf(parent) == "M")
        {
            ((JsonObject)AttributeValues.Payload(parent)!)[name] = value;
            return;
        }

        if (parent is not null && last.Name is null && AttributeValues.TypeOf(parent) == "L")
        {
            var list = (JsonArray)AttributeValues.Payload(parent)!;
            if (last.Index < list.Count)
            {
                list[last.Index] = value;
            }
            else
            {
                list.Add(value);
            }

            return;
        }

        throw DynamoDbException.Validation($"The document path provided in the update expression is invalid for update: {path}");
    }

    private static void Remove(JsonObject item, DocumentPath path)
    {
        if (path.Elements.Count == 1)
        {
            item.Remove(path.TopName);
            return;
        }

        var parent = Get(new DocumentPath([.. path.Elements.SkipLast(1)]), item);
        var last = path.Elements[^1];
        if (parent is null)
        {
            return;
        }

        if (last.Name is { } name && AttributeValues.TypeOf(parent) == "M")
        {
            ((JsonObject)AttributeValues.Payload(parent)!).Remove(name);
        }
        else if (last.Name is null && AttributeValues.TypeOf(parent) == "L" && last.Index < ((JsonArray)AttributeValues.Payload(parent)!).Count)
        {
            ((JsonArray)AttributeValues.Payload(parent)!).RemoveAt(last.Index);
        }
        else
        {
            throw DynamoDbException.Validation($"The document path provided in the update expression is invalid for update: {path}");
        }
    }

    /// <summary>The attributes a projection names, in the item's shape (list elements keep the projection's order, compacted).</summary>
    public static JsonObject Project(IReadOnlyList<DocumentPath> paths, JsonObject item)
    {
        var result = new JsonObject();
        var containers = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (Get(path, item) is null)
            {
                continue;
            }

            JsonObject? parent = null;
            for (var i = 0; i < path.Elements.Count; i++)
            {
                var prefix = new DocumentPath([.. path.Elements.Take(i + 1)]);
                var key = prefix.ToString();
                var isLast = i == path.Elements.Count - 1;
                if (!isLast && containers.TryGetValue(key, out var existing))
                {
                    parent = existing;
                    continue;
                }

                var source = Get(prefix, item)!;
                var type = AttributeValues.TypeOf(source);
                var node = isLast ? (JsonObject)source.DeepClone() : AttributeValues.Of(type, type == "M" ? new JsonObject() : new JsonArray());
                var element = path.Elements[i];
                if (parent is null)
                {
                    result[element.Name!] = node;
                }
                else if (AttributeValues.Payload(parent) is JsonObject members)
                {
                    members[element.Name!] = node;
                }
                else
                {
                    ((JsonArray)AttributeValues.Payload(parent)!).Add(node);
                }

                if (!isLast)
                {
                    containers[key] = node;
                }

                parent = node;
            }
        }

        return result;
    }

    /// <summary>The description of a value for messages: its type tag.</summary>
    public static string Describe(JsonNode? value) => value is null ? "(missing)" : AttributeValues.TypeOf(value);
}
