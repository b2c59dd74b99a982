using System.ComponentModel;
using System.Diagnostics;
using System.Text;

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
    public static Task RunAsync(FrameworkPlan plan, ProjectFiles project, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
        => RunAsync(plan, project, sandbox: null, progress, cancellationToken);

    /// <summary>Runs the steps, each inside <paramref name="sandbox"/> (null: as plain processes of this user).</summary>
    /// <exception cref="FrameworkException">A step's tool is missing, or it failed, timed out or wrote too much output.</exception>
    public static async Task RunAsync(FrameworkPlan plan, ProjectFiles project, BuildSandbox? sandbox, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
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

            var hash = await BuildCache.HashInputsAsync(project, step, cancellationToken);
            if (outputExists && cache.IsCurrent(step, hash))
            {
                progress.Report(new BuildProgress($"Build: {step.Name} skipped ({step.Inputs} unchanged)", false));
                continue;
            }

            var ran = await RunWithFallbackAsync(step, outputExists, project, sandbox, progress, cancellationToken);
            if (!ReferenceEquals(ran, step))
            {
                hash = await BuildCache.HashInputsAsync(project, ran, cancellationToken);
            }

            await cache.RecordAsync(ran, hash, cancellationToken);
        }
    }

    /// <returns>The step that succeeded: <paramref name="step"/> or its fallback.</returns>
    private static async Task<BuildStep> RunWithFallbackAsync(
        BuildStep step, bool outputExisted, ProjectFiles project, BuildSandbox? sandbox, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
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
                await RunStepAsync(step, project, sandbox, progress, cancellationToken);
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
            return await RunWithFallbackAsync(step.Fallback, outputExisted, project, sandbox, progress, cancellationToken);
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

    private static async Task RunStepAsync(BuildStep step, ProjectFiles project, BuildSandbox? sandbox, IProgress<BuildProgress> progress, CancellationToken cancellationToken)
    {
        var limits = sandbox?.Limits ?? BuildLimits.Default;
        IBuildCgroup? cgroup = null;
        ProcessStartInfo info;
        await WriteSupportFilesAsync(step, project, cancellationToken);
        if (sandbox is null)
        {
            info = StartInfo(step.Command, project.Directory);
            info.Environment["NEXT_TELEMETRY_DISABLED"] = "1";
            info.Environment["CI"] = "1";
            foreach (var (name, value) in StepEnvironment(step, project.FullPath(ProjectFiles.FerryFolder)))
            {
                info.Environment[name] = value;
            }
        }
        else
        {
            var program = BuildProgram.Resolve(step.Command[0], project.Directory, sandbox.Environment.GetValueOrDefault("PATH"))
                ?? throw new FrameworkException(MissingTool(step));
            var directory = BuildProgram.RealPath(project.Directory);
            if (step.Environment.Count > 0)
            {
                var environment = new Dictionary<string, string>(sandbox.Environment, StringComparer.Ordinal);
                foreach (var (name, value) in StepEnvironment(step, Path.Combine(directory, ProjectFiles.FerryFolder)))
                {
                    environment[name] = value;
                }

                sandbox = sandbox with { Environment = environment };
            }

            var argv = sandbox.CommandLine(directory, [program, .. step.Command.Skip(1)]);
            cgroup = sandbox.Cgroups is null ? null : await sandbox.Cgroups.CreateAsync(limits, cancellationToken);
            if (cgroup is not null)
            {
                argv = [Shell, "-c", JoinCgroupScript, "ferry-build", .. cgroup.ProcsFiles, "--", .. argv];
            }

            info = StartInfo(argv, directory);
        }

        try
        {
            // bwrap copies the host's mount tree (--ro-bind / /) and remounts each mount in it read-only; a mount that
            // goes away in between (another server's sandbox stopping) fails the copy before the step has run at all.
            for (var attempt = 1; !await RunProcessAsync(step, project, sandbox, limits, info, progress, attempt < SandboxStartAttempts, cancellationToken); attempt++)
            {
                progress.Report(new BuildProgress($"Build: {step.Name}: a host mount changed while the build sandbox started; starting it again", true));
            }
        }
        finally
        {
            if (cgroup is not null)
            {
                await cgroup.DisposeAsync();
            }
        }
    }

    /// <summary>How many times a sandbox whose start raced with a host mount going away is started.</summary>
    private const int SandboxStartAttempts = 3;

    private const string Shell = "/bin/sh";

    /// <summary>Writes the step's <see cref="BuildStep.SupportFiles"/> into the app's <see cref="ProjectFiles.FerryFolder"/>.</summary>
    private static async Task WriteSupportFilesAsync(BuildStep step, ProjectFiles project, CancellationToken cancellationToken)
    {
        var folder = project.FullPath(ProjectFiles.FerryFolder);
        if (step.SupportFiles.Count > 0)
        {
            if (new DirectoryInfo(folder).LinkTarget is not null)
            {
                throw new FrameworkException($"{folder} is a symbolic link; Ferry keeps its build state there and writes only into a real folder");
            }

            Directory.CreateDirectory(folder);
            foreach (var (name, content) in step.SupportFiles)
            {
                // Replaced, never written through: a link planted in its place would point the write elsewhere.
                var path = Path.Combine(folder, name);
                File.Delete(path);
                await File.WriteAllTextAsync(path, content, cancellationToken);
            }
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> StepEnvironment(BuildStep step, string supportFolder) =>
        step.Environment.Select(pair => KeyValuePair.Create(
            pair.Key, pair.Value.Replace(BuildStep.SupportFolderPlaceholder, supportFolder, StringComparison.Ordinal)));

    /// <summary>
    /// Joins every cgroup.procs given before "--", then execs the rest: the build is in its cgroup before its first
    /// instruction, so nothing it forks escapes. Paths travel as arguments, never as shell text.
    /// </summary>
    private const string JoinCgroupScript =
        """
        while [ "$1" != "--" ]; do
          echo $$ > "$1" || { echo "ferry: could not join cgroup $1" >&2; exit 125; }
          shift
        done
        shift
        exec "$@"
        """;

    private static ProcessStartInfo StartInfo(IReadOnlyList<string> argv, string workingDirectory)
    {
        var info = new ProcessStartInfo(argv[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static string MissingTool(BuildStep step) =>
        step.MissingToolHint ?? $"'{step.Command[0]}' is not installed on this machine; it is needed for {step.Name}";

    /// <returns>
    /// True when the step succeeded; false when <paramref name="mayRetry"/> and the sandbox failed to start because a
    /// host mount vanished (<see cref="BuildSandbox.StartRacedWithUnmount"/>), before anything of the step ran.
    /// </returns>
    private static async Task<bool> RunProcessAsync(
        BuildStep step, ProjectFiles project, BuildSandbox? sandbox, BuildLimits limits, ProcessStartInfo info, IProgress<BuildProgress> progress,
        bool mayRetry, CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = await BuildLauncher.StartAsync(info);
        }
        catch (InvalidOperationException)
        {
            throw new FrameworkException($"could not start {step.Name}");
        }
        catch (Win32Exception)
        {
            throw new FrameworkException(sandbox is null ? MissingTool(step) : $"could not start {info.FileName} for {step.Name}");
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

            string Tail()
            {
                lock (gate)
                {
                    return string.Join('\n', tail);
                }
            }

            var output = new OutputBudget(limits.MaxOutputBytes);
            void Overflow()
            {
                if (output.MarkOverflow())
                {
                    Kill(process);
                }
            }

            var stdout = PumpAsync(process.StandardOutput, Keep, output, Overflow);
            var stderr = PumpAsync(process.StandardError, Keep, output, Overflow);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StepTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                if (output.Overflowed)
                {
                    await DrainAsync(stdout, stderr);
                }
                else
                {
                    await Task.WhenAll(stdout, stderr).WaitAsync(timeout.Token);
                }
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
                await DrainAsync(stdout, stderr);
                cancellationToken.ThrowIfCancellationRequested();
                throw new FrameworkException($"{step.Name} took longer than {StepTimeout.TotalMinutes:0} minutes and was stopped");
            }

            if (output.Overflowed)
            {
                throw new FrameworkException(
                    $"{step.Name} wrote more than {limits.MaxOutputBytes / (1024 * 1024)} MiB of output and was stopped; its last output:\n{Tail()}");
            }

            if (process.ExitCode != 0)
            {
                if (sandbox is not null && mayRetry && BuildSandbox.StartRacedWithUnmount(process.ExitCode, Tail()))
                {
                    return false;
                }

                var where = sandbox is null
                    ? ""
                    : $" (it ran in the build sandbox: only the app folder and the build's HOME {sandbox.CacheHome} are writable, /tmp is private; " +
                      "--no-build-sandbox runs it without)";
                throw new FrameworkException($"{step.Name} failed with exit code {process.ExitCode} in {project.Directory}{where}; its last output:\n{Tail()}");
            }

            return true;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or AggregateException or Win32Exception or NotSupportedException)
        {
            // Already gone, or part of the tree could not be signalled: the process itself is killed first, and a
            // sandbox dies with it (bwrap --die-with-parent), a cgroup is emptied when it is disposed.
        }
    }

    /// <summary>How long a stopped step's output may stay open (a process that outlived it) before it is left behind.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private static async Task DrainAsync(Task stdout, Task stderr)
    {
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(DrainTimeout);
        }
        catch (TimeoutException)
        {
            // Something of the step still holds its output open; the error says what happened to the step itself.
        }
    }

    /// <summary>A step's output lines longer than this are cut (the rest of the line still counts against the budget).</summary>
    private const int MaxLineChars = 4096;

    private static async Task PumpAsync(StreamReader reader, Action<string> line, OutputBudget budget, Action overflow)
    {
        var buffer = new char[4096];
        var pending = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (!budget.Take(read))
            {
                overflow();
                return;
            }

            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n')
                {
                    line(pending.ToString().TrimEnd('\r'));
                    pending.Clear();
                }
                else if (pending.Length < MaxLineChars)
                {
                    pending.Append(c);
                }
            }
        }

        if (pending.Length > 0)
        {
            line(pending.ToString().TrimEnd('\r'));
        }
    }

    /// <summary>Characters of output a step may still write (shared by stdout and stderr).</summary>
    private sealed class OutputBudget(long max)
    {
        private long _used;
        private int _overflowed;

        public bool Overflowed => Volatile.Read(ref _overflowed) == 1;

        public bool Take(int count) => Interlocked.Add(ref _used, count) <= max;

        /// <summary>True the first time only.</summary>
        public bool MarkOverflow() => Interlocked.Exchange(ref _overflowed, 1) == 0;
    }
}
