namespace Ferry.Runtime.Sandbox;

/// <summary>Checks a <see cref="SandboxSpec"/> before anything is created for it.</summary>
internal static class SandboxSpecValidator
{
    /// <exception cref="ArgumentException">The instance id is not usable as a cgroup name (a caller bug).</exception>
    /// <exception cref="SandboxStartException">A folder is missing, the command or environment cannot be passed to a process, or the bridges cannot be built.</exception>
    /// <param name="supportsPrivateNetwork">Whether the sandbox gives specs without outbound network a network of their own.</param>
    public static void Validate(SandboxSpec spec, bool supportsPrivateNetwork)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.InstanceId.Length == 0 || spec.InstanceId.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
        {
            throw new ArgumentException($"Instance id '{spec.InstanceId}' must be non-empty and contain only letters, digits and '-'.", nameof(spec));
        }

        RequireDirectory(spec.CodeDirectory, "code");
        RequireDirectory(spec.RuntimeDirectory, "runtime");

        if (spec.Command.Count == 0 || spec.Command[0].Length == 0)
        {
            throw new SandboxStartException("the command is empty; expected at least the program to run");
        }

        if (spec.Command.Any(argument => argument.Contains('\0')))
        {
            throw new SandboxStartException("a command argument contains a NUL character");
        }

        if (!spec.WorkingDirectory.StartsWith('/'))
        {
            throw new SandboxStartException($"the working directory '{spec.WorkingDirectory}' must be an absolute path inside the sandbox");
        }

        foreach (var (name, value) in spec.Environment)
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0'))
            {
                throw new SandboxStartException($"environment variable name '{name}' is invalid; names must be non-empty without '=' or NUL");
            }

            if (value.Contains('\0'))
            {
                throw new SandboxStartException($"environment variable {name} contains a NUL character");
            }
        }

        if (spec.MemoryMb <= 0 || spec.TmpSizeMb <= 0 || spec.MaxFileSizeMb <= 0)
        {
            throw new SandboxStartException(
                $"memory ({spec.MemoryMb} MB), /tmp size ({spec.TmpSizeMb} MB) and file size limit ({spec.MaxFileSizeMb} MB) must be positive");
        }

        ValidateBridges(spec.Bridges, privateNetwork: supportsPrivateNetwork && !spec.AllowOutboundNetwork);
        ValidateMounts(spec.Mounts);
    }

    private static void ValidateMounts(IReadOnlyList<SandboxMount> mounts)
    {
        foreach (var mount in mounts)
        {
            RequireDirectory(mount.HostPath, "mounted");
            var normalized = Path.GetFullPath(mount.SandboxPath);
            if (normalized != mount.SandboxPath || !normalized.StartsWith(SandboxPaths.Data + "/", StringComparison.Ordinal))
            {
                throw new SandboxStartException($"the mount point '{mount.SandboxPath}' must be a normalized path below {SandboxPaths.Data}/");
            }
        }

        if (mounts.GroupBy(m => m.SandboxPath, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new SandboxStartException($"'{duplicate.Key}' is mounted more than once");
        }
    }

    private static void ValidateBridges(SandboxBridges bridges, bool privateNetwork)
    {
        if (bridges.IsEmpty)
        {
            return;
        }

        if (!privateNetwork)
        {
            throw new SandboxStartException(
                "bridges connect a private network to the host, but this sandbox shares the host's network; reach the function over TCP instead");
        }

        var ports = bridges.HostServices.Select(s => s.Port).Concat(bridges.PublishedPort is { } p ? [p.Port] : []).ToList();
        foreach (var port in ports.Where(port => port is < 1 or > 65535))
        {
            throw new SandboxStartException($"bridge port {port} is not a TCP port (1-65535)");
        }

        if (ports.GroupBy(port => port).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new SandboxStartException($"port {duplicate.Key} is bridged more than once");
        }

        foreach (var service in bridges.HostServices)
        {
            if (!Path.IsPathFullyQualified(service.HostSocketPath) || !File.Exists(service.HostSocketPath))
            {
                throw new SandboxStartException($"the socket '{service.HostSocketPath}' of the host service on port {service.Port} does not exist or is not an absolute path");
            }
        }

        if (bridges.PublishedPort is { } published)
        {
            var name = Path.GetFileName(published.HostSocketPath);
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                throw new SandboxStartException($"the published socket's name '{name}' must be letters, digits, '.', '-' and '_'");
            }

            RequireDirectory(Path.GetDirectoryName(published.HostSocketPath) ?? "", "published socket's");
        }
    }

    private static void RequireDirectory(string path, string what)
    {
        if (!Path.IsPathFullyQualified(path) || !Directory.Exists(path))
        {
            throw new SandboxStartException($"the {what} folder '{path}' does not exist or is not an absolute path");
        }
    }
}
