namespace Ferry.IntegrationTests.Infrastructure;

/// <summary>An app folder written by a test (for behaviours no sample should have: crashes, timeouts, hostile code).</summary>
public static class TestApp
{
    public static string Create(string serverlessYml, params (string Path, string Content)[] files)
    {
        var directory = TempDirectory.Create("ferry-app");
        File.WriteAllText(Path.Combine(directory, "serverless.yml"), serverlessYml);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        return directory;
    }
}
