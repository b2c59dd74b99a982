namespace Ferry.Hub.Packaging;

/// <summary>A scratch file that is deleted when disposed (or when the process dies, on Linux, once closed).</summary>
internal sealed class TemporaryFile : IAsyncDisposable
{
    private TemporaryFile(FileStream stream) => Stream = stream;

    public FileStream Stream { get; }

    public string Path => Stream.Name;

    public static TemporaryFile Create(string directory)
    {
        var path = System.IO.Path.Combine(directory, $"ferry-{Guid.NewGuid():N}.tmp");
        return new TemporaryFile(new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read,
            bufferSize: 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose));
    }

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
