using Ferry.Manifest;
using Ferry.Packaging;

namespace Ferry.Cli.Options;

/// <summary>
/// Before packaging: every event function's handler file (or <c>bootstrap</c>) must be in the app folder and not
/// excluded by <c>package.patterns</c>. Reported like other manifest errors, at the line of the function's handler,
/// once per function, so the developer sees the problem before anything is uploaded.
/// </summary>
internal static class HandlerFileCheck
{
    /// <exception cref="ManifestException">Some function's handler file is missing or excluded.</exception>
    public static void Run(ServiceManifest manifest, string appDirectory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(appDirectory);

        var patterns = PackagePatternSet.Create(manifest.PackagePatterns);
        var problems = new List<ManifestDiagnostic>();
        foreach (var function in manifest.Functions)
        {
            var candidates = HandlerFiles.For(function);
            if (candidates.Count == 0)
            {
                continue;
            }

            var present = candidates.Where(candidate => File.Exists(Path.Combine(appDirectory, candidate))).ToList();
            var needs = string.Join(" or ", candidates);
            var what = function.Handler is null ? $"functions.{function.Name}" : $"functions.{function.Name}.handler '{function.Handler}'";
            if (present.Count == 0)
            {
                problems.Add(new ManifestDiagnostic(function.HandlerLocation ?? function.Location,
                    $"{what} needs the file {needs} in the app folder ({appDirectory}), but there is none"));
            }
            else if (!present.Any(patterns.Includes))
            {
                problems.Add(new ManifestDiagnostic(function.HandlerLocation ?? function.Location,
                    $"{what} needs {present[0]}, but package.patterns leave it out of the package; include it (for example '{present[0]}')"));
            }
        }

        if (problems.Count > 0)
        {
            throw new ManifestException(problems);
        }
    }
}
