using System.ComponentModel;
using System.Diagnostics;

namespace Ferry.Packaging.Frameworks;

/// <summary>A line of build progress: <see cref="Transient"/> lines (the build's own output) replace each other.</summary>
/// <see cref="Warning"/> lines are shown as warnings (a fallback, a version that differs from the one asked for).
public sealed record BuildProgress(string Text, bool Transient, bool Warning = false);

/// <summary>
/// Runs a plan's build steps in the app folder on the developer's machine, skipping a step whose inputs hash as they
/// did after its last success (and whose output is still there).
/// </summary>
public static class FrameworkBuilder
{
    /// <summary>A build that runs longer is stopped.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(20);

    /// <summary>Lines of a failed step's output shown in its error.</summary>
    private const int TailLines = 30;

    /// <exception cref="FrameworkException">A step's tool is missing, or it failed or timed out.</exception>
    public static async Task RunAsync(FrameworkPlan plan, ProjectFiles project, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(progress);

        var cache = BuildCache.Open(project);
        foreach (var step in plan.Steps)
        {
            var outputExists = project.HasDirectory(step.Output);
            if (step.OnlyWhenOutputMissing && outputExists)
            {
                progress.Report(new BuildProgress($"Build: {step.Name} skipped ({step.Output}/ exists)", false));
                continue;
            }

            var hash = await BuildCache.HashInputsAsync(project, step.Inputs, cancellationToken);
            if (outputExists && cache.IsCurrent(step, hash))
            {
                progress.Report(new BuildProgress($"Build: {step.Name} skipped ({step.Inputs} unchanged)", false));
                continue;
            }

            var ran = await RunWithFallbackAsync(step, outputExists, project, progress, cancellationToken);
            if (!ReferenceEquals(ran, step))
            {
                hash = await BuildCache.HashInputsAsync(project, ran.Inputs, cancellationToken);
            }

            await cache.RecordAsync(ran, hash, cancellationToken);
        }
    }

    /// <returns>The step that succeeded: <paramref name="step"/> or its fallback.</returns>
    private static async Task<BuildStep> RunWithFallbackAsync(
        BuildStep step, bool outputExisted, ProjectFiles project, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        progress.Report(new BuildProgress($"Build: {step.Name}…", true));
        try
        {
            if (step.Action is { } action)
            {
                await action(project, progress, cancellationToken);
            }
            else
            {
                await RunStepAsync(step, project, progress, cancellationToken);
            }
        }
        catch (FrameworkException ex) when (step.Fallback is not null)
        {
            var why = FailureSummary(ex.Message);
            if (!outputExisted && project.HasDirectory(step.Output) && new DirectoryInfo(project.FullPath(step.Output)).LinkTarget is null)
            {
                Directory.Delete(project.FullPath(step.Output), recursive: true);
            }

            var what = why.StartsWith(step.Name, StringComparison.Ordinal) ? why : $"{step.Name}: {why}";
            progress.Report(new BuildProgress($"{what}; {step.Fallback.Name} instead", false, Warning: true));
            return await RunWithFallbackAsync(step.Fallback, outputExisted, project, progress, cancellationToken);
        }

        progress.Report(new BuildProgress($"Build: {step.Name} done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s", false));
        return step;
    }

    /// <summary>
    /// A failed step's error in one line: its first line, and the first line of the tool's output that names the
    /// problem (composer prints its usage after the error, so the last line says nothing).
    /// </summary>
    internal static string FailureSummary(string message)
    {
        var lines = message.Split('\n');
        var head = lines[0].Replace("; its last output:", "", StringComparison.Ordinal).Trim();
        var problem = lines.Skip(1)
            .Select(line => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .FirstOrDefault(line => ProblemWords.Any(word => line.Contains(word, StringComparison.OrdinalIgnoreCase)));
        return problem is null ? head : $"{head}: {problem}";
    }

    private static readonly string[] ProblemWords = ["could not", "cannot", "error", "failed", "not found", "exception"];

    private static async Task RunStepAsync(BuildStep step, ProjectFiles project, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(step.Command[0])
        {
            WorkingDirectory = project.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in step.Command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["NEXT_TELEMETRY_DISABLED"] = "1";
        info.Environment["CI"] = "1";

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new FrameworkException($"could not start {step.Name}");
        }
        catch (Win32Exception)
        {
            throw new FrameworkException(step.MissingToolHint ?? $"'{step.Command[0]}' is not installed on this machine; it is needed for {step.Name}");
        }

        using (process)
        {
            process.StandardInput.Close();
            var tail = new Queue<string>();
            var gate = new object();
            void Keep(string line)
            {
                lock (gate)
                {
                    tail.Enqueue(line);
                    if (tail.Count > TailLines)
                    {
                        tail.Dequeue();
                    }
                }

                if (line.Length > 0)
                {
                    progress.Report(new BuildProgress($"Build: {step.Name}: {line}", true));
                }
            }

            var stdout = PumpAsync(process.StandardOutput, Keep);
            var stderr = PumpAsync(process.StandardError, Keep);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StepTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(stdout, stderr);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                cancellationToken.ThrowIfCancellationRequested();
                throw new FrameworkException($"{step.Name} took longer than {StepTimeout.TotalMinutes:0} minutes and was stopped");
            }

            if (process.ExitCode != 0)
            {
                string output;
                lock (gate)
                {
                    output = string.Join('\n', tail);
                }

                throw new FrameworkException($"{step.Name} failed with exit code {process.ExitCode} in {project.Directory}; its last output:\n{output}");
            }
        }
    }

    private static async Task PumpAsync(StreamReader reader, Action<string> line)
    {
        while (await reader.ReadLineAsync() is { } text)
        {
            line(text);
        }
    }
}
