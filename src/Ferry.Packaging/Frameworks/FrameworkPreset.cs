namespace Ferry.Packaging.Frameworks;

/// <summary>
/// How Ferry builds and starts one kind of web app (Express, Django…) so that it is deployed unchanged: how it is
/// recognised in an app folder, what runs before packaging, and the command that serves it on <c>$PORT</c>.
/// </summary>
public abstract class FrameworkPreset
{
    /// <summary>Where Ferry's launchers are in every sandbox (the runtime folder, mounted read-only).</summary>
    protected const string RuntimeFolder = "/opt/ferry";

    /// <summary>The <c>framework:</c> value, one of <see cref="Manifest.Frameworks.FrameworkNames.All"/>.</summary>
    public abstract string Name { get; }

    /// <summary>What detection looks for, for messages and the README's table.</summary>
    public abstract string DetectedBy { get; }

    /// <summary>A path that answers once the app is up (used by the benchmark and shown on deploy).</summary>
    public virtual string HealthPath => "/";

    /// <summary>Why this preset fits <paramref name="project"/>, e.g. "package.json depends on express"; null if it does not.</summary>
    public abstract string? Detect(ProjectFiles project);

    /// <summary>The build steps and start command for <paramref name="project"/>.</summary>
    /// <exception cref="FrameworkException">The project lacks what the preset needs (an entry file, a settings module…).</exception>
    public abstract FrameworkPlan Plan(ProjectFiles project, string reason);
}
