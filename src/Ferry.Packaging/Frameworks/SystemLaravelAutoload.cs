using System.Text;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// The <c>vendor/autoload.php</c> Ferry writes for a Laravel app when composer can't install its packages: it loads
/// Debian's Laravel (<see cref="SystemLaravel"/>) and the app's own <see cref="ComposerAutoload"/> the way composer's
/// autoloader would (PSR-4, PSR-0, classmap, files). It lands where <c>composer install</c> would have put its own,
/// so <c>public/index.php</c> and <c>artisan</c> run unchanged, and carries <see cref="Marker"/> so that Ferry knows
/// it may rewrite it (and never touches a vendor/ composer made).
/// </summary>
public static class SystemLaravelAutoload
{
    public const string RelativePath = "vendor/autoload.php";

    /// <summary>In the file's first lines: this vendor/autoload.php is Ferry's.</summary>
    public const string Marker = "Written by Ferry's laravel preset";

    /// <summary>Whether the app's vendor/autoload.php is one Ferry wrote (false when there is none).</summary>
    public static bool IsGenerated(ProjectFiles project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var path = project.FullPath(RelativePath);
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            using var reader = new StreamReader(path);
            var head = new char[512];
            var read = reader.ReadBlock(head);
            return new string(head, 0, read).Contains(Marker, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FrameworkException($"cannot read {RelativePath}: {ex.Message}");
        }
    }

    /// <summary>Writes the file unless it already holds exactly this text (so a watcher sees no change).</summary>
    /// <returns>Whether the file was written.</returns>
    /// <exception cref="FrameworkException">vendor/ or the file is a symbolic link, or it can't be written.</exception>
    public static async Task<bool> WriteAsync(ProjectFiles project, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(text);
        var vendor = project.FullPath("vendor");
        var path = project.FullPath(RelativePath);
        try
        {
            foreach (FileSystemInfo entry in new[] { new DirectoryInfo(vendor), (FileSystemInfo)new FileInfo(path) })
            {
                if (entry.LinkTarget is not null)
                {
                    throw new FrameworkException($"{Path.GetRelativePath(project.Directory, entry.FullName)} is a symbolic link; Ferry writes {RelativePath} there and will not follow it. Remove it.");
                }
            }

            if (File.Exists(path) && await File.ReadAllTextAsync(path, cancellationToken) == text)
            {
                return false;
            }

            Directory.CreateDirectory(vendor);
            var temporary = path + ".ferry-tmp";
            await File.WriteAllTextAsync(temporary, text, new UTF8Encoding(false), cancellationToken);
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FrameworkException($"cannot write {RelativePath} in {project.Directory}: {ex.Message}");
        }
    }

    /// <summary>The PHP source of vendor/autoload.php for <paramref name="autoload"/> over <paramref name="laravel"/>.</summary>
    public static string Render(ComposerAutoload autoload, SystemLaravel laravel)
    {
        ArgumentNullException.ThrowIfNull(autoload);
        ArgumentNullException.ThrowIfNull(laravel);
        var files = new StringBuilder();
        foreach (var file in autoload.Files)
        {
            files.Append("require_once dirname(__DIR__) . ").Append(Php("/" + file)).Append(";\n");
        }

        var missing = $"vendor/autoload.php (written by Ferry) loads Debian's Laravel from {laravel.Autoloader}, which this machine lacks: "
            + $"apt-get install {SystemLaravel.DebianPackage}, or run 'composer install' and deploy the vendor/ folder it makes";
        return $$"""
            <?php
            // {{Marker}}: composer could not install this app's packages, so this file loads Debian's
            // Laravel {{laravel.Version}} ({{SystemLaravel.DebianPackage}}, under {{laravel.PhpFolder}}) and the "autoload" section of
            // composer.json, as composer's autoloader would. `ferry deploy` rewrites it when composer.json changes;
            // delete vendor/ to have it try `composer install` again.

            if (!is_file({{Php(laravel.Autoloader)}})) {
                throw new RuntimeException({{Php(missing)}});
            }

            // Debian's autoloaders find the packages Laravel needs through the include path.
            if (!in_array({{Php(laravel.PhpFolder)}}, explode(PATH_SEPARATOR, get_include_path()), true)) {
                set_include_path(get_include_path() . PATH_SEPARATOR . {{Php(laravel.PhpFolder)}});
            }

            (static function (string $base): void {
                $psr4 = {{Prefixes(autoload.Psr4)}};
                $psr0 = {{Prefixes(autoload.Psr0)}};
                $classmapPaths = {{List(autoload.Classmap)}};
                $classmap = null;

                // Classes in classmap folders, found by reading the files the first time a class is looked for there.
                $scan = static function () use ($base, $classmapPaths): array {
                    $map = [];
                    $kinds = [T_CLASS, T_INTERFACE, T_TRAIT];
                    if (defined('T_ENUM')) {
                        $kinds[] = T_ENUM;
                    }
                    $nameParts = [T_STRING, T_NS_SEPARATOR];
                    if (defined('T_NAME_QUALIFIED')) {
                        $nameParts[] = T_NAME_QUALIFIED;
                    }
                    foreach ($classmapPaths as $entry) {
                        $path = $entry === '' ? $base : $base . '/' . $entry;
                        $files = is_dir($path)
                            ? new RecursiveIteratorIterator(new RecursiveDirectoryIterator($path, FilesystemIterator::SKIP_DOTS))
                            : (is_file($path) ? [$path] : []);
                        foreach ($files as $file) {
                            $file = (string) $file;
                            if (!preg_match('/\.(php|inc)$/', $file) || str_contains($file, '/vendor/')) {
                                continue;
                            }
                            $tokens = token_get_all((string) file_get_contents($file));
                            $namespace = '';
                            $previous = null;
                            for ($i = 0, $count = count($tokens); $i < $count; $i++) {
                                $token = $tokens[$i];
                                if (!is_array($token)) {
                                    $previous = $token;
                                    continue;
                                }
                                if (in_array($token[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)) {
                                    continue;
                                }
                                if ($token[0] === T_NAMESPACE) {
                                    $namespace = '';
                                    for ($i++; $i < $count && $tokens[$i] !== ';' && $tokens[$i] !== '{'; $i++) {
                                        if (is_array($tokens[$i]) && in_array($tokens[$i][0], $nameParts, true)) {
                                            $namespace .= $tokens[$i][1];
                                        }
                                    }
                                    $namespace = $namespace === '' ? '' : trim($namespace, '\\') . '\\';
                                } elseif (in_array($token[0], $kinds, true) && !(is_array($previous) && in_array($previous[0], [T_DOUBLE_COLON, T_NEW], true))) {
                                    for ($j = $i + 1; $j < $count && is_array($tokens[$j]) && $tokens[$j][0] === T_WHITESPACE; $j++) {
                                    }
                                    if ($j < $count && is_array($tokens[$j]) && $tokens[$j][0] === T_STRING) {
                                        $map[$namespace . $tokens[$j][1]] ??= $file;
                                    }
                                }
                                $previous = $token;
                            }
                        }
                    }
                    return $map;
                };

                $find = static function (string $relative, array $folders) use ($base): ?string {
                    foreach ($folders as $folder) {
                        $file = ($folder === '' ? $base : $base . '/' . $folder) . '/' . $relative;
                        if (is_file($file)) {
                            return $file;
                        }
                    }
                    return null;
                };

                spl_autoload_register(static function (string $class) use ($psr4, $psr0, $classmapPaths, $scan, $find, &$classmap): void {
                    foreach ($psr4 as $prefix => $folders) {
                        if (strncmp($class, $prefix, strlen($prefix)) === 0
                            && ($file = $find(str_replace('\\', '/', substr($class, strlen($prefix))) . '.php', $folders)) !== null) {
                            require $file;
                            return;
                        }
                    }
                    foreach ($psr0 as $prefix => $folders) {
                        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
                            $split = strrpos($class, '\\');
                            $relative = $split === false
                                ? str_replace('_', '/', $class)
                                : str_replace('\\', '/', substr($class, 0, $split + 1)) . str_replace('_', '/', substr($class, $split + 1));
                            if (($file = $find($relative . '.php', $folders)) !== null) {
                                require $file;
                                return;
                            }
                        }
                    }
                    if ($classmapPaths !== []) {
                        $classmap ??= $scan();
                        if (isset($classmap[$class])) {
                            require $classmap[$class];
                        }
                    }
                }, true, true);
            })(dirname(__DIR__));

            require_once {{Php(laravel.Autoloader)}};

            {{files}}
            """;
    }

    private static string Prefixes(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> prefixes) =>
        prefixes.Count == 0 ? "[]" : "[" + string.Join(", ", prefixes.Select(p => $"{Php(p.Key)} => {List(p.Value)}")) + "]";

    private static string List(IReadOnlyList<string> items) => "[" + string.Join(", ", items.Select(Php)) + "]";

    /// <summary>A single-quoted PHP string literal.</summary>
    private static string Php(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
