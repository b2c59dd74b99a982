using System.Text.Json.Nodes;
using Ferry.Resources.Tables;
using Ferry.Resources.Tables.Expressions;

namespace Ferry.Resources.Tests.Tables;

public sealed class ExpressionTests
{
    private static JsonObject Item(string json) => AttributeValues.CheckItem(JsonNode.Parse(json), "Item");

    private static ExpressionAttributes Attributes(string? names = null, string? values = null) => ExpressionAttributes.From(new JsonObject
    {
        ["ExpressionAttributeNames"] = names is null ? null : JsonNode.Parse(names),
        ["ExpressionAttributeValues"] = values is null ? null : JsonNode.Parse(values),
    });

    private static bool Matches(string expression, string item, string? values = null, string? names = null) =>
        ExpressionEvaluator.Matches(ExpressionParser.ParseCondition(expression, Attributes(names, values)), Item(item));

    [Fact]
    public void The_tokenizer_splits_names_placeholders_indexes_and_two_character_comparators()
    {
        var tokens = ExpressionTokenizer.Tokenize("#a.b[12] <> :v AND size(c)>=:n", "ConditionExpression");
        Assert.Equal(["#a", ".", "b", "[", "12", "]", "<>", ":v", "AND", "size", "(", "c", ")", ">=", ":n", ""], tokens.Select(t => t.Text));
        Assert.Equal(TokenKind.Integer, tokens[4].Kind);
        Assert.Equal(TokenKind.End, tokens[^1].Kind);
    }

    [Theory]
    [InlineData("a > :one AND m.inner[0] = :one", true)] // 1.0 = 1
    [InlineData("a < :ten", true)] // 9 < 10 numerically, though "9" > "10" as text
    [InlineData("a BETWEEN :one AND :ten", true)]
    [InlineData("a IN (:one, :ten)", false)]
    [InlineData("NOT a = :one OR b = :hello AND c = :one", true)] // AND binds tighter than OR, NOT tightest
    [InlineData("(NOT a = :one OR b = :hello) AND c = :one", false)]
    [InlineData("missing <> :one", true)] // a missing attribute differs from any value
    [InlineData("missing < :one", false)]
    [InlineData("b > :one", false)] // different types never compare
    [InlineData("attribute_exists(m.inner[1]) AND attribute_not_exists(m.nope)", true)]
    [InlineData("attribute_type(a, :n)", true)]
    [InlineData("begins_with(b, :he) AND contains(b, :ll) AND contains(tags, :red)", true)]
    [InlineData("size(b) = :five AND size(tags) = :two AND size(m.inner) = :two", true)]
    [InlineData("m.inner[1] = :ten", true)]
    public void Conditions_follow_dynamodb_types_and_precedence(string expression, bool expected)
    {
        const string item = """{"a": {"N": "9"}, "b": {"S": "hello"}, "tags": {"SS": ["red", "blue"]}, "m": {"M": {"inner": {"L": [{"N": "1"}, {"N": "10"}]}}}}""";
        const string values = """
            {":one": {"N": "1.0"}, ":ten": {"N": "10"}, ":hello": {"S": "hello"}, ":n": {"S": "N"}, ":he": {"S": "he"}, ":ll": {"S": "ll"},
             ":red": {"S": "red"}, ":five": {"N": "5"}, ":two": {"N": "2"}}
            """;
        var attributes = Attributes(values: values);
        var condition = ExpressionParser.ParseCondition(expression, attributes);
        Assert.Equal(expected, ExpressionEvaluator.Matches(condition, Item(item)));
    }

    [Fact]
    public void Strings_compare_by_utf8_bytes_and_binary_by_bytes()
    {
        // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, though not in UTF-16 code units.
        Assert.True(Matches("a < :b", """{"a": {"S": "Ａ"}}""", """{":b": {"S": "😀"}}"""));
        Assert.True(Matches("a > :b", """{"a": {"B": "/w=="}}""", """{":b": {"B": "AQ=="}}"""));
    }

    [Theory]
    [InlineData("a = ", "Syntax error")]
    [InlineData("a = :missing", "attribute value: :missing")]
    [InlineData("#missing = :v", "attribute name: #missing")]
    [InlineData("a BETWEEN :v", "BETWEEN needs AND")]
    [InlineData("begins_with(a)", "number of operands")]
    [InlineData("a = :v extra", "should have ended")]
    [InlineData("a $ :v", "Invalid character '$'")]
    [InlineData("nope(a)", "Invalid function name")]
    [InlineData("a.b[x] = :v", "list index")]
    [InlineData("and = :v", "reserved keyword")]
    public void Bad_conditions_are_validation_errors_that_say_why(string expression, string expected)
    {
        var error = Assert.Throws<DynamoDbException>(() => ExpressionParser.ParseCondition(expression, Attributes(values: """{":v": {"S": "x"}}""")));
        Assert.Equal("ValidationException", error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unused_placeholders_are_refused()
    {
        var attributes = Attributes(names: """{"#a": "a", "#b": "b"}""", values: """{":v": {"S": "x"}}""");
        ExpressionParser.ParseCondition("#a = :v", attributes);
        var error = Assert.Throws<DynamoDbException>(attributes.CheckAllUsed);
        Assert.Contains("ExpressionAttributeNames unused in expressions: keys: {#b}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Updates_set_remove_add_and_delete_from_the_item_as_it_was()
    {
        var item = Item("""{"id": {"S": "1"}, "n": {"N": "10"}, "list": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}, "tags": {"SS": ["x", "y"]}, "m": {"M": {"k": {"S": "v"}}}}""");
        var attributes = Attributes(names: """{"#n": "n"}""", values: """
            {":d": {"N": "2.5"}, ":one": {"N": "1"}, ":more": {"L": [{"S": "d"}]}, ":t": {"SS": ["z", "x"]}, ":gone": {"SS": ["y"]}, ":w": {"S": "w"}}
            """);
        var clauses = ExpressionParser.ParseUpdate(
            "SET #n = #n - :d, copy = #n, count = if_not_exists(count, :one) + :one, list = list_append(:more, list), m.k2 = :w REMOVE m.k ADD tags :t DELETE other :gone",
            attributes);
        attributes.CheckAllUsed();

        var updated = ExpressionEvaluator.Apply(clauses, item);

        Assert.Equal("7.5", updated["n"]!["N"]!.GetValue<string>());
        Assert.Equal("10", updated["copy"]!["N"]!.GetValue<string>()); // the value before the update
        Assert.Equal("2", updated["count"]!["N"]!.GetValue<string>());
        Assert.Equal(["d", "a", "b", "c"], updated["list"]!["L"]!.AsArray().Select(e => e!["S"]!.GetValue<string>()));
        Assert.Equal(["w"], updated["m"]!["M"]!.AsObject().Select(p => p.Value!["S"]!.GetValue<string>()));
        Assert.Equal(["x", "y", "z"], updated["tags"]!["SS"]!.AsArray().Select(e => e!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.False(updated.ContainsKey("other"));
        Assert.Equal("10", item["n"]!["N"]!.GetValue<string>()); // the original is untouched
    }

    [Fact]
    public void Removing_list_elements_removes_the_named_ones_and_deleting_the_last_set_member_removes_the_attribute()
    {
        var item = Item("""{"list": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}, "s": {"NS": ["1", "2"]}}""");
        var attributes = Attributes(values: """{":s": {"NS": ["2", "1.0"]}}""");
        var updated = ExpressionEvaluator.Apply(ExpressionParser.ParseUpdate("REMOVE list[1], list[3] DELETE s :s", attributes), item);
        Assert.Equal(["0", "2"], updated["list"]!["L"]!.AsArray().Select(e => e!["N"]!.GetValue<string>()));
        Assert.False(updated.ContainsKey("s"));
    }

    [Theory]
    [InlineData("SET a = :v, a = :v", "overlap")]
    [InlineData("SET a.b = :v REMOVE a", "overlap")]
    [InlineData("SET a = :v SET b = :v", "only be used once")]
    [InlineData("ADD a b", ":value")]
    [InlineData("SET a = size(b)", "Invalid function name")]
    [InlineData("MERGE a :v", "SET, REMOVE, ADD or DELETE")]
    public void Bad_updates_are_refused(string expression, string expected)
    {
        var error = Assert.Throws<DynamoDbException>(() => ExpressionParser.ParseUpdate(expression, Attributes(values: """{":v": {"N": "1"}}""")));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arithmetic_on_a_missing_attribute_or_a_string_is_refused()
    {
        var attributes = Attributes(values: """{":v": {"N": "1"}}""");
        var missing = Assert.Throws<DynamoDbException>(() => ExpressionEvaluator.Apply(ExpressionParser.ParseUpdate("SET a = a + :v", attributes), Item("{}")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        var text = Assert.Throws<DynamoDbException>(() => ExpressionEvaluator.Apply(ExpressionParser.ParseUpdate("SET a = a + :v", attributes), Item("""{"a": {"S": "x"}}""")));
        Assert.Contains("incorrect data type", text.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Projections_keep_the_named_paths_in_the_items_shape()
    {
        var item = Item("""{"a": {"S": "x"}, "b": {"N": "1"}, "m": {"M": {"p": {"S": "1"}, "q": {"S": "2"}, "l": {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}]}}}}""");
        var paths = ExpressionParser.ParseProjection("a, m.q, m.l[2], m.l[0], nope", Attributes());
        var projected = ExpressionEvaluator.Project(paths, item);
        Assert.Equal("""{"a":{"S":"x"},"m":{"M":{"q":{"S":"2"},"l":{"L":[{"S":"l2"},{"S":"l0"}]}}}}""", projected.ToJsonString());
    }
}
