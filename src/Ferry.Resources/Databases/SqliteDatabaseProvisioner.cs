namespace Ferry.Resources.Databases;

/// <summary>
/// The embedded default: one SQLite file per app stage and database name, at
/// <c>ROOT/TENANT/SERVICE/STAGE@REGION/NAME.sqlite</c> ('@' cannot occur in a stage, so stage and region never run
/// together ambiguously). Functions see the app stage's folder read-write at <see cref="SandboxDirectory"/>.
/// </summary>
public sealed class SqliteDatabaseProvisioner : IDatabaseProvisioner
{
    public const string EngineName = "sqlite";
    public const string SandboxDirectory = "/var/ferry/databases";
    public const string FileExtension = ".sqlite";

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // SQLite leaves these beside the database file; a dropped database must not come back through a stale journal.
    private static readonly string[] CompanionSuffixes = ["", "-wal", "-shm", "-journal"];

    private readonly string _rootDirectory;

    // Drop deletes an emptied app-stage folder; Ensure must not create a file in it meanwhile.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SqliteDatabaseProvisioner(string rootDirectory)
    {
        if (string.IsNullOrWhiteSpace(rootDirectory) || !Path.IsPathFullyQualified(rootDirectory))
        {
            throw new ArgumentException($"The SQLite database root '{rootDirectory}' must be an absolute path.", nameof(rootDirectory));
        }

        _rootDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
    }

    public string Engine => EngineName;

    /// <summary>The folder that holds an app stage's database files (the host side of the mount).</summary>
    public string HostDirectory(DatabaseRequest request)
    {
        request.Validate();
        var directory = Path.GetFullPath(Path.Combine(_rootDirectory, request.Tenant, request.Service, $"{request.Stage}@{request.Region}"));

        // Validate() already rules out separators and dot segments; this keeps it true if the rules ever loosen.
        if (!directory.StartsWith(_rootDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The database folder of {request.DisplayName} would lie outside {_rootDirectory}.", nameof(request));
        }

        return directory;
    }

    /// <summary>The database file on the host.</summary>
    public string HostFilePath(DatabaseRequest request) => Path.Combine(HostDirectory(request), request.Name + FileExtension);

    public async Task<DatabaseBinding> EnsureAsync(DatabaseRequest request, CancellationToken cancellationToken)
    {
        var directory = HostDirectory(request);
        var file = Path.Combine(directory, request.Name + FileExtension);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(directory, FolderMode);
            File.SetUnixFileMode(directory, FolderMode);

            // Functions can write into this folder: a symlink planted under a database's name must not make the
            // server create or open a file elsewhere.
            if (new FileInfo(file).LinkTarget is not null)
            {
                throw new DatabaseProvisioningException(request, "create", $"{file} is a symbolic link, not a database file");
            }

            // A zero-length file is a valid empty SQLite database; creating it makes "exists" mean "was ensured".
            // CreateNew (O_EXCL) never follows a link that appears meanwhile.
            if (!File.Exists(file))
            {
                try
                {
                    using var created = new FileStream(file, new FileStreamOptions
                    {
                        Mode = System.IO.FileMode.CreateNew,
                        Access = FileAccess.Write,
                        UnixCreateMode = FileMode,
                    });
                }
                catch (IOException) when (File.Exists(file))
                {
                    // Created by its first writer meanwhile.
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new DatabaseProvisioningException(request, "create", $"cannot create {file}: {exception.Message}", exception);
        }
        finally
        {
            _gate.Release();
        }

        var sandboxFile = SandboxDirectory + "/" + request.Name + FileExtension;
        return DatabaseBinding.Create(
            request.Name,
            EngineName,
            [
                new(DatabaseEnvironment.Url(request.Name), "sqlite://" + sandboxFile),
                new(DatabaseEnvironment.Path(request.Name), sandboxFile),
            ],
            [],
            new DatabaseMount(directory, SandboxDirectory),
            service: null);
    }

    public async Task<bool> DropAsync(DatabaseRequest request, CancellationToken cancellationToken)
    {
        var directory = HostDirectory(request);
        var file = Path.Combine(directory, request.Name + FileExtension);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var existed = false;
            foreach (var suffix in CompanionSuffixes)
            {
                var path = file + suffix;
                if (File.Exists(path))
                {
                    File.Delete(path);
                    existed = true;
                }
            }

            DeleteIfEmpty(directory);
            return existed;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new DatabaseProvisioningException(request, "drop", $"cannot delete {file}: {exception.Message}", exception);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void DeleteIfEmpty(string directory)
    {
        if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }
    }
}
