using System.Collections;
using System.Diagnostics;
using Ferry.Packaging.Frameworks;
using Ferry.Runtime.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Cli.Build;

/// <summary>
/// Decides how <c>ferry deploy</c> isolates framework build steps (npm ci, next build, composer install): inside
/// bubblewrap when it is installed and works, else as plain processes with a warning.
/// </summary>
internal static class BuildSandboxFactory
{
    /// <summary>Overrides the build's HOME (default <c>~/.ferry/build-cache</c>).</summary>
    public const string CacheVariable = "FERRY_BUILD_CACHE";

    /// <param name="Sandbox">Null: steps run unsandboxed.</param>
    /// <param name="Warning">One line for the user when the sandbox was wanted but is not possible.</param>
    public sealed record Choice(BuildSandbox? Sandbox, string? Warning);

    public static async Task<Choice> CreateAsync(bool disabled, CliContext context, CancellationToken cancellationToken)
    {
        if (disabled)
        {
            return new Choice(null, null);
        }

        var hostPath = context.Environment("PATH");
        var bwrap = BuildProgram.Resolve("bwrap", context.WorkingDirectory, hostPath);
        if (bwrap is null)
        {
            return new Choice(null,
                "bubblewrap (bwrap) is not installed: build steps run unsandboxed with all your rights (apt-get install bubblewrap; --no-build-sandbox hides this)");
        }

        var hostHome = context.Environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cacheHome = context.Environment(CacheVariable) is { Length: > 0 } configured
            ? Path.GetFullPath(configured, context.WorkingDirectory)
            : Path.Combine(hostHome, ".ferry", "build-cache");
        Directory.CreateDirectory(cacheHome);
        cacheHome = BuildProgram.RealPath(cacheHome);

        var sandbox = new BuildSandbox(bwrap, BuildProgram.Resolve("prlimit", context.WorkingDirectory, hostPath), cacheHome,
            BuildEnvironment.Create(HostEnvironment(context), hostHome, path => File.Exists(path) || Directory.Exists(path)))
        {
            Cgroups = new HostBuildCgroups(),
        };

        if (await ProbeAsync(sandbox, cancellationToken) is { } failure)
        {
            return new Choice(null, $"bubblewrap cannot make a sandbox here ({failure}): build steps run unsandboxed with all your rights");
        }

        return new Choice(sandbox, null);
    }

    /// <summary>The developer's variables, read through the context (tests give their own).</summary>
    private static Dictionary<string, string> HostEnvironment(CliContext context)
    {
        var names = Environment.GetEnvironmentVariables().Keys.Cast<object>().Select(k => k.ToString()!)
            .Concat(BuildEnvironment.PassedNames);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (context.Environment(name) is { } value)
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    /// <summary>Runs <c>true</c> in the sandbox (user namespaces may be off); null when it worked, else bwrap's complaint.</summary>
    private static async Task<string?> ProbeAsync(BuildSandbox sandbox, CancellationToken cancellationToken)
    {
        var truePath = BuildProgram.Resolve("true", "/", sandbox.Environment.GetValueOrDefault("PATH")) ?? "/bin/true";
        var argv = sandbox.CommandLine(sandbox.CacheHome, [truePath]);
        var info = new ProcessStartInfo(argv[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in argv.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = await BuildLauncher.StartAsync(info);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var message = (await stderr).Trim();
            return process.ExitCode == 0 ? null : message.Length > 0 ? message.Split('\n')[0] : $"exit code {process.ExitCode}";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Build cgroups under Ferry's cgroup folder, when this user may create cgroups (root, or a delegated subtree);
    /// detected once, on the first build step.
    /// </summary>
    private sealed class HostBuildCgroups : IBuildCgroups
    {
        private readonly Lazy<CgroupHost> _host = new(() => CgroupHost.Detect(NullLogger.Instance));

        public async Task<IBuildCgroup?> CreateAsync(BuildLimits limits, CancellationToken cancellationToken)
        {
            var cgroupLimits = new CgroupLimits(limits.MemoryBytes, limits.MaxProcesses, Environment.ProcessorCount);
            var cgroup = await StandaloneCgroup.TryCreateAsync(_host.Value, $"build-{Guid.NewGuid():N}", cgroupLimits);
            return cgroup is null ? null : new Cgroup(cgroup);
        }

        private sealed class Cgroup(StandaloneCgroup cgroup) : IBuildCgroup
        {
            public IReadOnlyList<string> ProcsFiles => cgroup.ProcsFiles;

            public ValueTask DisposeAsync() => cgroup.DisposeAsync();
        }
    }
}
