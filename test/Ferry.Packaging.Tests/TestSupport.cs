using System.IO.Compression;
using System.Runtime.Versioning;
using System.Text;

// The archive tests exercise unix permission bits and symlinks.
[assembly: UnsupportedOSPlatform("windows")]

namespace Ferry.Packaging.Tests;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("ferry-packaging-tests-").FullName;
    }

    public string Path { get; }

    public string Combine(string relativePath) => System.IO.Path.Combine(Path, relativePath);

    /// <summary>Writes a file (creating its folders) and returns its full path.</summary>
    public string WriteFile(string relativePath, string content, UnixFileMode? mode = null)
    {
        var path = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (mode is { } m)
        {
            File.SetUnixFileMode(path, m);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Builds zip archives entry by entry, including the malformed ones an attacker would craft.</summary>
internal sealed class ZipBuilder
{
    private readonly List<(string Name, int Mode, byte[] Content, CompressionLevel Level)> _entries = [];

    public ZipBuilder File(string name, string content, int mode = 0x81A4) =>
        Add(name, mode, Encoding.UTF8.GetBytes(content), CompressionLevel.Optimal);

    public ZipBuilder File(string name, byte[] content, int mode = 0x81A4) =>
        Add(name, mode, content, CompressionLevel.Optimal);

    public ZipBuilder Symlink(string name, string target) =>
        Add(name, 0xA1FF, Encoding.UTF8.GetBytes(target), CompressionLevel.NoCompression);

    public ZipBuilder Directory(string name) => Add(name, 0x41ED, [], CompressionLevel.NoCompression);

    public MemoryStream Build()
    {
        var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, mode, content, level) in _entries)
            {
                var entry = archive.CreateEntry(name, level);
                entry.ExternalAttributes = mode << 16;
                using var data = entry.Open();
                data.Write(content);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private ZipBuilder Add(string name, int mode, byte[] content, CompressionLevel level)
    {
        _entries.Add((name, mode, content, level));
        return this;
    }
}

/// <summary>Collects progress reports synchronously (unlike <see cref="Progress{T}"/>, which posts them).</summary>
internal sealed class RecordingProgress<T> : IProgress<T>
{
    public List<T> Reports { get; } = [];

    public void Report(T value) => Reports.Add(value);
}

/// <summary>A read-only stream that cannot seek, like a network request body.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
