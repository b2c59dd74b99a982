using Ferry.Manifest;
using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.Images;

/// <summary>
/// How an instance of an image function starts: in the image's rootfs, with its Entrypoint + Cmd (or the manifest's
/// overrides, Docker's rules: a new entry point drops the image's Cmd), in its WorkingDir (default /), and with its
/// Env under Ferry's own variables.
/// </summary>
public sealed record ImageLaunch(string RootFilesystem, IReadOnlyList<string> Command, string WorkingDirectory, ImageConfig Config)
{
    /// <exception cref="ImageException">Neither the image nor the manifest says what to run.</exception>
    public static ImageLaunch For(UnpackedImage image, FunctionImage declared)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(declared);
        var config = image.Config;
        var entryPoint = declared.EntryPoint ?? config.Entrypoint;
        var arguments = declared.Command ?? (declared.EntryPoint is null ? config.Cmd : []);
        IReadOnlyList<string> command = [.. entryPoint, .. arguments];
        if (command.Count == 0 || command[0].Length == 0)
        {
            throw new ImageException("the image has no Entrypoint or Cmd; set image.entryPoint in serverless.yml");
        }

        var workingDirectory = declared.WorkingDirectory ?? config.WorkingDir ?? "/";
        if (!workingDirectory.StartsWith('/'))
        {
            throw new ImageException($"the image's WorkingDir '{workingDirectory}' is not an absolute path");
        }

        var launch = new ImageLaunch(image.RootFilesystem, command, workingDirectory, config);
        launch.RequireProgram();
        return launch;
    }

    /// <summary>
    /// The program must be a file of the image (found on the image's PATH when it is a bare name), so a typo in an
    /// entry point fails the deploy rather than every cold start.
    /// </summary>
    private void RequireProgram()
    {
        var program = Command[0];
        IEnumerable<string> candidates = program.Contains('/')
            ? [program.StartsWith('/') ? program : WorkingDirectory.TrimEnd('/') + "/" + program]
            : SearchPath().Select(folder => folder.TrimEnd('/') + "/" + program);
        if (!candidates.Any(candidate => Sandbox.RootFilesystem.Resolve(RootFilesystem, candidate) is { } file && File.Exists(file)))
        {
            throw new ImageException(program.Contains('/')
                ? $"the image has no file '{program}' to run (its entry point)"
                : $"the image has no program '{program}' on its PATH ({string.Join(':', SearchPath())}) to run (its entry point)");
        }
    }

    private IEnumerable<string> SearchPath()
    {
        var path = Config.EnvironmentVariables().LastOrDefault(variable => variable.Key == "PATH").Value;
        return (string.IsNullOrEmpty(path) ? ExecutableResolver.DefaultSearchPath : path)
            .Split(':', StringSplitOptions.RemoveEmptyEntries).Where(folder => folder.StartsWith('/'));
    }

    /// <summary>
    /// The image's Env laid under <paramref name="ferry"/>: it replaces Ferry's generic defaults (PATH, HOME, LANG,
    /// LAMBDA_TASK_ROOT, …), but never Ferry's <c>AWS_*</c> and <c>FERRY_*</c> variables that tell the function who it is.
    /// Ferry's runtime folder is not mounted into images, so <c>LAMBDA_RUNTIME_DIR</c> is the image's or none.
    /// </summary>
    public Dictionary<string, string> ApplyEnvironment(IReadOnlyDictionary<string, string> ferry)
    {
        var environment = new Dictionary<string, string>(ferry, StringComparer.Ordinal);
        environment.Remove("LAMBDA_RUNTIME_DIR");
        foreach (var (name, value) in Config.EnvironmentVariables())
        {
            if (!IsFerryIdentity(name) || !environment.ContainsKey(name))
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    private static bool IsFerryIdentity(string name) =>
        name.StartsWith("AWS_", StringComparison.Ordinal) || name.StartsWith("FERRY_", StringComparison.Ordinal);
}
