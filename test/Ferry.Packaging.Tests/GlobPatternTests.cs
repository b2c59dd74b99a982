namespace Ferry.Packaging.Tests;

public class GlobPatternTests
{
    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/guide.md", false)]
    [InlineData("**/*.md", "README.md", true)]
    [InlineData("**/*.md", "docs/deep/guide.md", true)]
    [InlineData("src/**", "src/a/b/c.js", true)]
    [InlineData("src/**", "src", true)]
    [InlineData("src/**", "srcx/a.js", false)]
    [InlineData("src/**/test.js", "src/test.js", true)]
    [InlineData("src/**/test.js", "src/a/b/test.js", true)]
    [InlineData("src/**/test.js", "src/a/b/test.jsx", false)]
    [InlineData("src/*.js", "src/a/b.js", false)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file12.txt", false)]
    [InlineData("file[0-9].txt", "file7.txt", true)]
    [InlineData("file[!0-9].txt", "file7.txt", false)]
    [InlineData("file[!0-9].txt", "filex.txt", true)]
    [InlineData("**/*.{md,txt}", "a/b/notes.txt", true)]
    [InlineData("**/*.{md,txt}", "a/b/notes.js", false)]
    [InlineData("*", ".env", true)]
    [InlineData("./handler.js", "handler.js", true)]
    [InlineData("tmp/", "tmp/cache/x", true)]
    [InlineData("a+b(c).js", "a+b(c).js", true)]
    [InlineData("Handler.js", "handler.js", false)]
    public void Matches_like_micromatch_with_dot_files(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatch(path));
    }

    [Fact]
    public void Empty_pattern_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => GlobPattern.Parse("./"));
        Assert.Contains("'./'", error.Message);
    }

    [Fact]
    public void Later_patterns_win_and_defaults_come_first()
    {
        var set = PackagePatternSet.Create(["!node_modules/**", "node_modules/keep/**", "!**/*.test.js", ".git/hooks/**"]);

        Assert.True(set.Includes("handler.js"));
        Assert.False(set.Includes("node_modules/drop/index.js"));
        Assert.True(set.Includes("node_modules/keep/index.js"));
        Assert.False(set.Includes("node_modules/keep/index.test.js"));
        Assert.False(set.Includes(".git/config"));
        Assert.True(set.Includes(".git/hooks/pre-commit"));
        Assert.False(set.Includes("lib/__pycache__/mod.cpython-311.pyc"));
        Assert.False(set.Includes("deep/dir/.DS_Store"));
    }
}
