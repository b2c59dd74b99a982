namespace Ferry.Hub.Tests;

/// <summary>An app folder in the temporary directory, deleted on dispose.</summary>
internal sealed class TemporaryApp : IDisposable
{
    public TemporaryApp(string serverlessYml)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("ferry-hub-test-").FullName;
        Write("serverless.yml", serverlessYml);
    }

    public string Directory { get; }

    public string ManifestPath => Path.Combine(Directory, "serverless.yml");

    public TemporaryApp Write(string relativePath, string content, UnixFileMode? mode = null)
    {
        var path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (mode is { } unixMode)
        {
            File.SetUnixFileMode(path, unixMode);
        }

        return this;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
