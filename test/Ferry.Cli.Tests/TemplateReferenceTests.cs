using Ferry.Cli.Commands;

namespace Ferry.Cli.Tests;

public sealed class TemplateReferenceTests
{
    [Theory]
    [InlineData("image-resizer", false, "image-resizer", null)]
    [InlineData("image-resizer@1.2.0", false, "image-resizer", "1.2.0")]
    [InlineData(" image-resizer@2.0.0-beta.1 ", true, "image-resizer", "2.0.0-beta.1")]
    public void Splits_the_name_and_the_version(string text, bool versionRequired, string name, string? version)
    {
        Assert.True(TemplateReference.TryParse(text, versionRequired, out var reference, out var error), error);
        Assert.Equal(new TemplateReference(name, version), reference);
    }

    [Theory]
    [InlineData("image-resizer", true, "names no version")]
    [InlineData("image-resizer@", false, "is not a valid version")]
    [InlineData("image-resizer@latest", false, "'latest' in 'image-resizer@latest' is not a valid version")]
    [InlineData("@1.0.0", false, "is not a template reference")]
    [InlineData("acme/image-resizer", false, "is not a template reference")]
    [InlineData("a@1.0.0@2", false, "is not a valid version")]
    public void Rejects_malformed_references(string text, bool versionRequired, string expected)
    {
        Assert.False(TemplateReference.TryParse(text, versionRequired, out var reference, out var error));
        Assert.Null(reference);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void The_version_path_escapes_its_parts()
    {
        Assert.Equal("templates/image-resizer/versions/1.0.0%2Bbuild.5", new TemplateReference("image-resizer", "1.0.0+build.5").VersionPath);
    }
}
