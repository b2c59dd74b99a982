namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>
/// Scratch folders next to the test binaries rather than in /tmp: sandboxes get a private /tmp of their own, so a
/// folder outside /tmp is what really shows that a function cannot see the host's files.
/// </summary>
internal static class TempDirectory
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "scratch");

    public static string Create(string prefix)
    {
        var path = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(path);
        return path;
    }
}
