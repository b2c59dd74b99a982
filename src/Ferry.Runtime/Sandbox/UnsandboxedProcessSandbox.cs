using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>
/// For --insecure-no-sandbox: runs functions directly on the host as Ferry's own user, with no isolation at all.
/// The fixed sandbox paths are emulated by rewriting argv, environment values and the working directory to the
/// code folder, the runtime folder and a private temp folder. The cgroup still limits memory, processes and CPU,
/// and RLIMIT_FSIZE the size of files; the network is the host's.
/// </summary>
public sealed class UnsandboxedProcessSandbox(CgroupHost cgroups, ILogger logger) : ISandbox
{
    public string Description => $"NO SANDBOX (functions run unisolated on the host), {cgroups.Description}";

    public async Task<ISandboxedProcess> StartAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        SandboxSpecValidator.Validate(spec, supportsPrivateNetwork: false);
        cancellationToken.ThrowIfCancellationRequested();

        var tmp = Directory.CreateTempSubdirectory($"ferry-{spec.InstanceId}-");
        ValueTask DeleteTmp()
        {
            try
            {
                tmp.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "Could not delete the temp folder {Folder} of instance {InstanceId}", tmp.FullName, spec.InstanceId);
            }

            return ValueTask.CompletedTask;
        }

        HostCommand command;
        try
        {
            command = BuildCommand(spec, new SandboxPathMap(spec.CodeDirectory, spec.RuntimeDirectory, tmp.FullName, spec.Mounts));
        }
        catch
        {
            await DeleteTmp();
            throw;
        }

        var cgroup = await cgroups.CreateInstanceAsync(spec.InstanceId, CgroupLimits.ForMemory(spec.MemoryMb, Environment.ProcessorCount));
        var process = await SandboxProcessStarter.StartAsync(command, cgroup, logger, DeleteTmp);
        logger.LogDebug("Started unsandboxed instance {InstanceId} (pid {Pid}): {Program}", spec.InstanceId, process.Pid, command.Program);
        return process;
    }

    private static HostCommand BuildCommand(SandboxSpec spec, SandboxPathMap paths)
    {
        var environment = spec.Environment.ToDictionary(e => e.Key, e => paths.MapPathList(e.Value), StringComparer.Ordinal);

        // Resolve against the (rewritten) PATH the function was given, not Ferry's own PATH.
        var program = ExecutableResolver.Resolve(paths.MapPath(spec.Command[0]), environment, hostPath => hostPath);
        var workingDirectory = paths.MapPath(spec.WorkingDirectory);
        if (!Directory.Exists(workingDirectory))
        {
            throw new SandboxStartException($"the working directory {spec.WorkingDirectory} (host folder {workingDirectory}) does not exist");
        }

        // Like bwrap (and any shell), the process sees its working directory in PWD.
        environment["PWD"] = workingDirectory;
        return new HostCommand(program, spec.Command.Skip(1).Select(paths.MapPath).ToList(), environment, workingDirectory,
            spec.MaxFileSizeMb * 1024L * 1024L);
    }
}
