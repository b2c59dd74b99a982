namespace Ferry.Cli.Local;

/// <summary>
/// Watches the app folder (and the manifest, when it lives elsewhere) and signals <paramref name="debouncer"/> for every
/// change <paramref name="filter"/> finds relevant. A watcher error (an overflow, the inotify watch limit) is passed
/// to <paramref name="onError"/> and signals too: some change may have been missed, so the next deploy compares the
/// whole package.
/// </summary>
internal sealed class AppChangeWatcher(
    string appDirectory, string configPath, AppChangeFilter filter, Debouncer debouncer, Action<Exception> onError) : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];

    public void Start()
    {
        Watch(new FileSystemWatcher(appDirectory) { IncludeSubdirectories = true });
        var configFolder = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        if (!IsUnder(configFolder, Path.GetFullPath(appDirectory)))
        {
            Watch(new FileSystemWatcher(configFolder, Path.GetFileName(configPath)));
        }

        foreach (var watcher in _watchers)
        {
            watcher.EnableRaisingEvents = true;
        }
    }

    private void Watch(FileSystemWatcher watcher)
    {
        watcher.NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size;
        watcher.InternalBufferSize = 64 * 1024;
        watcher.Changed += OnChanged;
        watcher.Created += OnChanged;
        watcher.Deleted += OnChanged;
        watcher.Renamed += OnRenamed;
        watcher.Error += (_, e) =>
        {
            onError(e.GetException());
            debouncer.Signal();
        };
        _watchers.Add(watcher);
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (filter.IsRelevant(e.FullPath))
        {
            debouncer.Signal();
        }
    }

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        if (filter.IsRelevant(e.OldFullPath) || filter.IsRelevant(e.FullPath))
        {
            debouncer.Signal();
        }
    }

    private static bool IsUnder(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
    }
}
