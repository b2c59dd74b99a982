using System.Text.RegularExpressions;

namespace Ferry.Packaging.Frameworks;

/// <summary>
/// Python web apps served by gunicorn (Debian's python3-gunicorn) through Ferry's launcher, which also makes the
/// gateway's path prefix the WSGI <c>SCRIPT_NAME</c> so that generated links include it.
/// </summary>
public abstract class WsgiPreset : FrameworkPreset
{
    protected IReadOnlyList<string> Serve(string target) => ["python3", $"{RuntimeFolder}/python/wsgi_server.py", target];

    protected static IReadOnlyList<string> RequirementsNote(ProjectFiles project) => project.HasFile("requirements.txt")
        ? ["requirements.txt is not installed: the sandbox runs the server's Python 3 with its Debian packages (python3-flask, python3-django, python3-gunicorn…)"]
        : [];
}

public sealed partial class FlaskPreset : WsgiPreset
{
    /// <summary>Modules searched for <c>name = Flask(…)</c>, in this order.</summary>
    public static IReadOnlyList<string> ModuleCandidates { get; } = ["app.py", "wsgi.py", "application.py", "main.py", "server.py"];

    public override string Name => Manifest.Frameworks.FrameworkNames.Flask;

    public override string DetectedBy => "`flask` in requirements.txt, or `x = Flask(…)` in app.py/wsgi.py/main.py";

    public override string? Detect(ProjectFiles project)
    {
        if (project.HasPythonRequirement("flask"))
        {
            return "requirements.txt lists flask";
        }

        return FindApp(project) is { } app ? $"{app.Module}.py creates a Flask app" : null;
    }

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        var app = FindApp(project)
            ?? throw new FrameworkException($"no Flask app found: Ferry looks for 'app = Flask(__name__)' at the top level of {string.Join(", ", ModuleCandidates)}");
        return new FrameworkPlan(this, reason, Serve($"{app.Module}:{app.Variable}"), new Dictionary<string, string>(), [])
        {
            Notes = RequirementsNote(project),
        };
    }

    private static (string Module, string Variable)? FindApp(ProjectFiles project)
    {
        foreach (var file in ModuleCandidates)
        {
            if (project.ReadText(file) is { } text && FlaskAssignment().Match(text) is { Success: true } match)
            {
                return (file[..^3], match.Groups[1].Value);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^([A-Za-z_]\w*)\s*=\s*(?:flask\.)?Flask\(", RegexOptions.Multiline)]
    private static partial Regex FlaskAssignment();
}

/// <summary>Django: the settings module named in manage.py, served through its project's <c>wsgi.py</c>.</summary>
public sealed partial class DjangoPreset : WsgiPreset
{
    public override string Name => Manifest.Frameworks.FrameworkNames.Django;

    public override string DetectedBy => "`manage.py` (its DJANGO_SETTINGS_MODULE), or `django` in requirements.txt";

    public override string? Detect(ProjectFiles project) =>
        project.HasFile("manage.py") && project.ReadText("manage.py")!.Contains("DJANGO_SETTINGS_MODULE", StringComparison.Ordinal)
            ? "manage.py sets DJANGO_SETTINGS_MODULE"
            : project.HasPythonRequirement("django") ? "requirements.txt lists django" : null;

    public override FrameworkPlan Plan(ProjectFiles project, string reason)
    {
        var manage = project.ReadText("manage.py")
            ?? throw new FrameworkException("a Django app needs manage.py in the app folder (Ferry reads DJANGO_SETTINGS_MODULE from it)");
        var settings = SettingsModule().Match(manage) is { Success: true } match
            ? match.Groups[1].Value
            : throw new FrameworkException("manage.py does not set DJANGO_SETTINGS_MODULE (os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings'))");
        var package = settings.Contains('.', StringComparison.Ordinal) ? settings[..settings.LastIndexOf('.')] : settings;
        var wsgiFile = package.Replace('.', '/') + "/wsgi.py";
        if (!project.HasFile(wsgiFile))
        {
            throw new FrameworkException($"{wsgiFile} is missing; Ferry serves the WSGI application of the settings' package ({package}.wsgi), as django-admin startproject creates it");
        }

        return new FrameworkPlan(this, reason, Serve($"{package}.wsgi:application"),
            new Dictionary<string, string> { ["DJANGO_SETTINGS_MODULE"] = settings }, [])
        {
            Notes = [.. RequirementsNote(project),
                "Django answers only hosts in ALLOWED_HOSTS: requests reach it as Host 127.0.0.1 (the public host is in X-Forwarded-Host), so with DEBUG off add '127.0.0.1' to ALLOWED_HOSTS"],
        };
    }

    [GeneratedRegex(@"DJANGO_SETTINGS_MODULE['""]\s*,\s*['""]([A-Za-z_][\w.]*)['""]")]
    private static partial Regex SettingsModule();
}
