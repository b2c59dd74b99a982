using Ferry.Manifest.Rules;

namespace Ferry.Cli.Init;

/// <summary>Writes a starter into an app folder with its <c>{{name}}</c> placeholders replaced by the service name.</summary>
internal static class StarterWriter
{
    public const string NamePlaceholder = "{{name}}";

    /// <summary>Checks <paramref name="name"/> against the manifest's rules for service names.</summary>
    /// <exception cref="CliUserException">The name is not a valid service name.</exception>
    public static void ValidateName(string name, string origin)
    {
        if (!NamingRules.IsValidServiceName(name))
        {
            throw new CliUserException(
                $"'{name}' ({origin}) is not a valid service name; service names are {NamingRules.ServiceNameRule}. Pass --name NAME.");
        }

        if (NamingRules.ReservedServiceNames.Contains(name))
        {
            throw new CliUserException($"'{name}' ({origin}) is reserved by Ferry; pass --name NAME.");
        }
    }

    /// <summary>
    /// Refuses a folder that exists and has entries, unless <paramref name="force"/> (then files of the starter
    /// overwrite same-named ones and everything else is left alone).
    /// </summary>
    /// <exception cref="CliUserException">The folder is not empty, or is a file.</exception>
    public static void EnsureWritable(string directory, bool force)
    {
        if (File.Exists(directory))
        {
            throw new CliUserException($"{directory} is a file; ferry init needs a folder.");
        }

        if (!force && Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new CliUserException($"{directory} is not empty; nothing was written. Choose an empty or new folder with --dir, or pass --force to write into it anyway.");
        }
    }

    /// <summary>Writes every file of <paramref name="starter"/>; returns the written paths relative to the folder.</summary>
    public static IReadOnlyList<string> Write(Starter starter, string directory, string name)
    {
        var files = StarterCatalog.Files(starter);
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        var written = new List<string>(files.Count);
        foreach (var (relative, text) in files)
        {
            var target = Path.GetFullPath(Path.Combine(root, relative));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, Render(text, name));
            written.Add(relative);
        }

        return written;
    }

    public static string Render(string text, string name) => text.Replace(NamePlaceholder, name, StringComparison.Ordinal);
}
