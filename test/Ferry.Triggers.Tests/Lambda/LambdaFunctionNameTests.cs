using Ferry.Triggers.Lambda;

namespace Ferry.Triggers.Tests.Lambda;

public sealed class LambdaFunctionNameTests
{
    [Theory]
    [InlineData("shop-dev-api", null, "shop-dev-api", null, null)]
    [InlineData("shop-dev-api:$LATEST", null, "shop-dev-api", "$LATEST", null)]
    [InlineData("shop-dev-api:7", null, "shop-dev-api", "7", null)]
    [InlineData("shop-dev-api", "3", "shop-dev-api", "3", null)]
    [InlineData("shop-dev-api:3", "3", "shop-dev-api", "3", null)]
    [InlineData("arn:aws:lambda:local:000000000000:function:shop-dev-api", null, "shop-dev-api", null, "local")]
    [InlineData("arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-api:$LATEST", null, "shop-dev-api", "$LATEST", "eu-west-1")]
    [InlineData("123456789012:function:my_fn:2", null, "my_fn", "2", null)]
    public void Names_arns_and_qualifiers_are_understood(string text, string? separateQualifier, string name, string? qualifier, string? region)
    {
        Assert.True(LambdaFunctionName.TryParse(text, separateQualifier, out var parsed, out var problem), problem);
        Assert.Equal(new LambdaFunctionName(name, qualifier, region), parsed);
    }

    [Fact]
    public void A_numeric_qualifier_is_a_version_and_latest_is_not()
    {
        Assert.True(LambdaFunctionName.TryParse("f:12", null, out var numbered, out _));
        Assert.True(numbered.TryGetVersion(out var version));
        Assert.Equal(12, version);

        Assert.True(LambdaFunctionName.TryParse("f:$LATEST", null, out var latest, out _));
        Assert.False(latest.TryGetVersion(out _));

        Assert.True(LambdaFunctionName.TryParse("f:live", null, out var alias, out _));
        Assert.False(alias.TryGetVersion(out _));
    }

    [Theory]
    [InlineData("", null, "Function name '' is not valid")]
    [InlineData("has space", null, "Function name 'has space' is not valid")]
    [InlineData("a:b:c", null, "Function name 'a:b:c' is not valid")]
    [InlineData("arn:aws:s3:::bucket", null, "Function name 'arn:aws:s3:::bucket' is not valid")]
    [InlineData("arn:aws:lambda:local:12:function:f", null, "is not valid")]
    [InlineData("f:2", "3", "The qualifier in the function name ('2') does not match the Qualifier parameter ('3')")]
    [InlineData("f", "not valid!", "Qualifier 'not valid!' is not valid")]
    public void Malformed_names_say_what_is_expected(string text, string? separateQualifier, string problemPart)
    {
        Assert.False(LambdaFunctionName.TryParse(text, separateQualifier, out var parsed, out var problem));
        Assert.Null(parsed);
        Assert.Contains(problemPart, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_longer_than_64_characters_are_rejected()
    {
        Assert.True(LambdaFunctionName.TryParse(new string('a', 64), null, out _, out _));
        Assert.False(LambdaFunctionName.TryParse(new string('a', 65), null, out _, out _));
    }
}
