using Ferry.Cli.Options;

namespace Ferry.Cli.Tests;

public sealed class ParamParserTests
{
    [Fact]
    public void Key_value_pairs_are_split_at_the_first_equals_sign()
    {
        var parameters = ParamParser.ParseAll(["domain=example.test", "query=a=b", "empty="], out var error);

        Assert.Null(error);
        Assert.Equal("example.test", parameters["domain"]);
        Assert.Equal("a=b", parameters["query"]);
        Assert.Equal("", parameters["empty"]);
    }

    [Fact]
    public void A_later_value_for_the_same_key_wins()
    {
        var parameters = ParamParser.ParseAll(["tier=small", "tier=large"], out var error);

        Assert.Null(error);
        Assert.Equal("large", Assert.Single(parameters).Value);
    }

    [Theory]
    [InlineData("novalue", "has no '='")]
    [InlineData("=value", "empty key")]
    [InlineData("my key=value", "whitespace")]
    public void Malformed_values_are_reported_with_the_offending_text(string text, string expected)
    {
        Assert.False(ParamParser.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Contains($"'{text}'", error);
    }
}
