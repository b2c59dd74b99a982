using System.Text.RegularExpressions;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Laravel as Debian packages it (<c>php-laravel-framework</c>): Illuminate and its dependencies under
/// <c>/usr/share/php</c>, each with an <c>autoload.php</c> of Debian's own (pkg-php-tools), the framework's at
/// <c>Illuminate/autoload.php</c>, which also loads its dependencies through PHP's include path.
/// </summary>
public sealed partial record SystemLaravel(string PhpFolder, string Version)
{
    /// <summary>Where Debian installs PHP libraries (also on PHP's default include path there).</summary>
    public const string DebianPhpFolder = "/usr/share/php";

    /// <summary>The Debian package that provides it, for messages.</summary>
    public const string DebianPackage = "php-laravel-framework";

    /// <summary>The framework's autoloader (Illuminate, its helpers, and the packages it requires).</summary>
    public string Autoloader => Path.Combine(PhpFolder, "Illuminate", "autoload.php");

    public int Major => int.Parse(Version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The Laravel installed under <paramref name="phpFolder"/>, or null when there is none.</summary>
    public static SystemLaravel? Find(string phpFolder)
    {
        var application = Path.Combine(phpFolder, "Illuminate", "Foundation", "Application.php");
        if (!File.Exists(Path.Combine(phpFolder, "Illuminate", "autoload.php")) || !File.Exists(application))
        {
            return null;
        }

        try
        {
            // Application.php is about 40 KB; VERSION is near its top.
            using var reader = new StreamReader(application);
            var head = new char[16 * 1024];
            var read = reader.ReadBlock(head);
            var match = VersionConstant().Match(new string(head, 0, read));
            return match.Success ? new SystemLaravel(phpFolder, match.Groups[1].Value) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"const\s+VERSION\s*=\s*'(\d+\.\d+(?:\.\d+)?)[^']*'")]
    private static partial Regex VersionConstant();
}
