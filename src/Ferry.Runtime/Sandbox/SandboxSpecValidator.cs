namespace Ferry.Runtime.Sandbox;

/// <summary>Checks a <see cref="SandboxSpec"/> before anything is created for it.</summary>
internal static class SandboxSpecValidator
{
    /// <exception cref="ArgumentException">The instance id is not usable as a cgroup name (a caller bug).</exception>
    /// <exception cref="SandboxStartException">A folder is missing, or the command or environment cannot be passed to a process.</exception>
    public static void Validate(SandboxSpec spec)
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

        if (spec.MemoryMb <= 0 || spec.TmpSizeMb <= 0)
        {
            throw new SandboxStartException($"memory ({spec.MemoryMb} MB) and /tmp size ({spec.TmpSizeMb} MB) must be positive");
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
