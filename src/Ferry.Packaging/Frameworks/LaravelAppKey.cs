using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Laravel encrypts cookies (and sessions in them) with <c>APP_KEY</c>. An app whose <c>.env</c> has none gets one
/// made once per app folder, kept in <see cref="RelativePath"/> (inside <c>.ferry/</c>, never packaged nor
/// committed), so every deploy and every instance uses the same key and an unchanged app deploys unchanged.
/// </summary>
public static partial class LaravelAppKey
{
    public const string RelativePath = $"{ProjectFiles.FerryFolder}/laravel-app-key";

    /// <summary>The APP_KEY the app's <c>.env</c> sets, or null.</summary>
    public static string? Find(ProjectFiles project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var text = project.ReadText(".env");
        if (text is null)
        {
            return null;
        }

        var match = AppKeyLine().Match(text);
        return match.Success && match.Groups[1].Value.Trim().Trim('"', '\'').Length > 0 ? match.Groups[1].Value.Trim() : null;
    }

    /// <summary>The key kept for this app folder, made (32 random bytes, as <c>artisan key:generate</c>) on first use.</summary>
    /// <exception cref="FrameworkException">It can't be read or written.</exception>
    public static string ForFolder(ProjectFiles project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var path = project.FullPath(RelativePath);
        try
        {
            if (new DirectoryInfo(Path.GetDirectoryName(path)!).LinkTarget is not null || new FileInfo(path).LinkTarget is not null)
            {
                throw new FrameworkException($"{RelativePath} or its folder is a symbolic link; Ferry keeps the app's key there and will not follow it. Remove it.");
            }

            if (File.Exists(path))
            {
                var known = File.ReadAllText(path).Trim();
                if (known.StartsWith("base64:", StringComparison.Ordinal) && known.Length > "base64:".Length)
                {
                    return known;
                }

                throw new FrameworkException($"{RelativePath} does not hold a key (base64:…); delete it and Ferry makes a new one");
            }

            var key = "base64:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(file))
            {
                writer.Write(key + "\n");
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return key;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FrameworkException($"cannot read or write {RelativePath} in {project.Directory}: {ex.Message}");
        }
    }

    [GeneratedRegex(@"^\s*APP_KEY\s*=(.*)$", RegexOptions.Multiline)]
    private static partial Regex AppKeyLine();
}
