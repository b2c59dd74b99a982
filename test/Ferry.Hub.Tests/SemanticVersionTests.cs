namespace Ferry.Hub.Tests;

public class SemanticVersionTests
{
    [Theory]
    [InlineData("1.2.3", 1UL, 2UL, 3UL, "", "")]
    [InlineData("0.0.0", 0UL, 0UL, 0UL, "", "")]
    [InlineData("10.20.30-rc.1", 10UL, 20UL, 30UL, "rc.1", "")]
    [InlineData("1.0.0-alpha-beta.0+build.5", 1UL, 0UL, 0UL, "alpha-beta.0", "build.5")]
    [InlineData("1.0.0+20130313144700", 1UL, 0UL, 0UL, "", "20130313144700")]
    public void Parses_valid_versions(string text, ulong major, ulong minor, ulong patch, string prerelease, string build)
    {
        var version = SemanticVersion.Parse(text);

        Assert.Equal((major, minor, patch), (version.Major, version.Minor, version.Patch));
        Assert.Equal(prerelease, string.Join('.', version.Prerelease));
        Assert.Equal(build, version.Build);
        Assert.Equal(text, version.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("1.2", "three numbers")]
    [InlineData("1.2.3.4", "three numbers")]
    [InlineData("01.2.3", "leading zeros")]
    [InlineData("1.2.x", "non-negative whole number")]
    [InlineData("v1.2.3", "non-negative whole number")]
    [InlineData("1.2.3-", "empty identifier")]
    [InlineData("1.2.3-alpha..1", "empty identifier")]
    [InlineData("1.2.3-01", "leading zeros")]
    [InlineData("1.2.3-al_pha", "ASCII letters, digits and '-'")]
    [InlineData("1.2.3+", "empty identifier")]
    [InlineData("99999999999999999999.0.0", "too large")]
    public void Rejects_invalid_versions_saying_why(string text, string reason)
    {
        Assert.False(SemanticVersion.TryParse(text, out _, out var problem));
        Assert.Contains(reason, problem);
        var exception = Assert.Throws<FormatException>(() => SemanticVersion.Parse(text));
        Assert.Contains(reason, exception.Message);
    }

    [Fact]
    public void Orders_by_semver_precedence()
    {
        // The example chain of the semver 2.0 specification, plus numeric core ordering.
        string[] ordered =
        [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0",
        ];

        var versions = ordered.Select(SemanticVersion.Parse).ToList();
        for (var i = 1; i < versions.Count; i++)
        {
            Assert.True(versions[i - 1] < versions[i], $"{versions[i - 1]} < {versions[i]}");
            Assert.True(versions[i] > versions[i - 1], $"{versions[i]} > {versions[i - 1]}");
        }

        var shuffled = versions.AsEnumerable().Reverse().OrderBy(v => v).Select(v => v.ToString());
        Assert.Equal(ordered, shuffled);
    }

    [Fact]
    public void Ignores_build_metadata_for_precedence_and_equality()
    {
        var a = SemanticVersion.Parse("1.0.0+a");
        var b = SemanticVersion.Parse("1.0.0+b");

        Assert.Equal(0, a.CompareTo(b));
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(SemanticVersion.Parse("1.0.0"), SemanticVersion.Parse("1.0.0-rc.1"));
    }

    [Fact]
    public void Compares_long_numeric_prerelease_identifiers_numerically()
    {
        Assert.True(SemanticVersion.Parse("1.0.0-99999999999999999999") > SemanticVersion.Parse("1.0.0-9"));
        Assert.True(SemanticVersion.Parse("1.0.0-1") < SemanticVersion.Parse("1.0.0-a"));
    }
}
