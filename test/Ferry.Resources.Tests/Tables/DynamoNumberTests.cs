using Ferry.Resources.Tables;

namespace Ferry.Resources.Tests.Tables;

public sealed class DynamoNumberTests
{
    [Theory]
    [InlineData("1.50", "1.5")]
    [InlineData("-0.000", "0")]
    [InlineData("+12e3", "12000")]
    [InlineData("0.0012", "0.0012")]
    [InlineData("1.2E-3", "0.0012")]
    [InlineData("99999999999999999999999999999999999999", "99999999999999999999999999999999999999")]
    public void Numbers_are_normalised(string text, string expected) => Assert.Equal(expected, DynamoNumber.Parse(text).ToString());

    [Theory]
    [InlineData("123456789012345678901234567890123456789", "38 significant digits")]
    [InlineData("1e126", "overflow")]
    [InlineData("1e-131", "underflow")]
    [InlineData("12a", "numeric value")]
    [InlineData("", "numeric value")]
    public void Numbers_outside_dynamodbs_range_are_refused(string text, string expected)
    {
        var error = Assert.Throws<DynamoDbException>(() => DynamoNumber.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sortable_bytes_order_like_the_numbers()
    {
        string[] ascending = ["-1e100", "-1000", "-10.5", "-10", "-9.99", "-0.123", "-0.12", "-1e-100", "0", "1e-100", "0.12", "0.123", "9.99", "10", "10.5", "1000", "1e100"];
        var numbers = ascending.Select(DynamoNumber.Parse).ToList();
        for (var i = 1; i < numbers.Count; i++)
        {
            Assert.True(numbers[i - 1].CompareTo(numbers[i]) < 0, $"{ascending[i - 1]} < {ascending[i]}");
            Assert.True(numbers[i - 1].ToSortableBytes().AsSpan().SequenceCompareTo(numbers[i].ToSortableBytes()) < 0, $"bytes of {ascending[i - 1]} < {ascending[i]}");
        }
    }

    [Theory]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("1e20", "-1", "99999999999999999999")]
    [InlineData("-5", "5", "0")]
    public void Addition_is_exact(string a, string b, string sum) => Assert.Equal(sum, DynamoNumber.Parse(a).Add(DynamoNumber.Parse(b)).ToString());
}
