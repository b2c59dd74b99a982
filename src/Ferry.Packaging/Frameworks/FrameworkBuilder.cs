using System.ComponentModel;
using System.Diagnostics;

namespace Ferry.Packaging.Frameworks;

/// <summary>A line of build progress: <see cref="Transient"/> lines (the build's own output) replace each other.</summary>
public sealed record BuildProgress(string Text, bool Transient);

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

            var started = Stopwatch.GetTimestamp();
            progress.Report(new BuildProgress($"Build: {step.Name}…", true));
            await RunStepAsync(step, project, progress, cancellationToken);
            await cache.RecordAsync(step, hash, cancellationToken);
            progress.Report(new BuildProgress($"Build: {step.Name} done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s", false));
        }
    }

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
