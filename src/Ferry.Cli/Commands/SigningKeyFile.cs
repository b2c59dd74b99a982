using System.Text;
using Ferry.Cli.Output;
using Ferry.Hub;

namespace Ferry.Cli.Commands;

/// <summary>
/// The file that holds a template provider's private signing key (default <c>~/.ferry/signing-key</c>): written
/// owner-only (0600) and never silently replaced, like an SSH key.
/// </summary>
internal static class SigningKeyFile
{
    public const string DefaultLocation = "~/.ferry/signing-key";

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;
    private const UnixFileMode SharedBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The <c>--key</c>/<c>--out</c> value resolved against the working directory, or the default in the home folder.</summary>
    public static string ResolvePath(string? option, CliContext context)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return context.ResolvePath(option);
        }

        var home = context.Environment("HOME") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new CliUserException("Cannot find the home folder for the default signing key (HOME is not set); pass the key file with --key.");
        }

        return Path.Combine(home, ".ferry", "signing-key");
    }

    /// <summary>Writes <paramref name="key"/> to <paramref name="path"/> readable by the owner only; refuses to replace a file unless <paramref name="overwrite"/>.</summary>
    public static async Task WriteAsync(string path, TemplateSigningKey key, bool overwrite, CancellationToken cancellationToken)
    {
        if (!overwrite && File.Exists(path))
        {
            throw AlreadyExists(path);
        }

        var directory = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            CreateDirectory(directory);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }

            await using (var stream = new FileStream(temporary, options))
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(key.Export() + "\n"), cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            // The rename makes the key appear complete and with its final permissions, or not at all.
            File.Move(temporary, path, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            throw AlreadyExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUserException($"Cannot write the signing key to {path}: {e.Message}", e);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads the key at <paramref name="path"/>; warns when other users may read it.</summary>
    public static async Task<TemplateSigningKey> ReadAsync(string path, CliOutput cli, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliUserException($"No signing key at {path}; create one with 'ferry template keygen' or pass --key FILE.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUserException($"Cannot read the signing key {path}: {e.Message}", e);
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & SharedBits) != 0)
        {
            cli.WriteWarning($"{path} can be read by other users; restrict it with: chmod 600 {path}");
        }

        try
        {
            return TemplateSigningKey.Import(text);
        }
        catch (FormatException e)
        {
            // The message describes the form, never the key text.
            throw new CliUserException($"{path} is not a Ferry signing key: {e.Message}.", e);
        }
    }

    private static void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
    }

    private static CliUserException AlreadyExists(string path)
        => new($"{path} already exists; pass --force to replace it (templates signed with the old key then need the new key registered), or choose another file with --out.");
}
