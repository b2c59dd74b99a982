namespace Ferry.Runtime.Sandbox.Seccomp;

/// <summary>What the filter does when a function makes a syscall a <see cref="SyscallRule"/> names.</summary>
internal enum SyscallRuleKind
{
    /// <summary>Fails with EPERM, as if the process lacked the privilege (which it also does).</summary>
    Deny,

    /// <summary>Fails with ENOSYS so that callers fall back to an older syscall (clone3 → clone, whose flags can be checked).</summary>
    NotImplemented,

    /// <summary>clone: fails with EPERM when its flags ask for a new namespace; plain process and thread creation pass.</summary>
    DenyNewNamespaces,

    /// <summary>personality: only querying (0xffffffff) and the default PER_LINUX (0) pass, so ASLR cannot be turned off.</summary>
    AllowDefaultPersonalityOnly,
}

/// <param name="Name">The syscall's name, as in <c>man 2 NAME</c>.</param>
/// <param name="Why">What a function could do with it.</param>
internal sealed record SyscallRule(string Name, SyscallRuleKind Kind, string Why);

/// <summary>
/// Which syscalls a function may not make. Everything else is allowed: the sandbox already drops all capabilities,
/// so this list is defence in depth against kernel attack surface (privileged or rarely needed syscalls with a
/// history of exploits) and against syscalls that need no privilege but would let a function look past its
/// sandbox (ptrace, new namespaces, file handles).
/// </summary>
internal static class SeccompPolicy
{
    /// <summary>CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.</summary>
    public const uint NamespaceCloneFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    /// <summary>PER_LINUX, the personality every process starts with.</summary>
    public const uint DefaultPersonality = 0;

    /// <summary>personality(0xffffffff) only reads the current personality.</summary>
    public const uint QueryPersonality = 0xFFFFFFFF;

    public static readonly IReadOnlyList<SyscallRule> Rules =
    [
        // Mounts and the root: a sandbox must keep the file system bwrap built for it.
        new("mount", SyscallRuleKind.Deny, "mounts file systems"),
        new("umount2", SyscallRuleKind.Deny, "unmounts the read-only binds"),
        new("pivot_root", SyscallRuleKind.Deny, "changes the root file system"),
        new("open_tree", SyscallRuleKind.Deny, "new mount API"),
        new("move_mount", SyscallRuleKind.Deny, "new mount API"),
        new("fsopen", SyscallRuleKind.Deny, "new mount API"),
        new("fsconfig", SyscallRuleKind.Deny, "new mount API"),
        new("fsmount", SyscallRuleKind.Deny, "new mount API"),
        new("fspick", SyscallRuleKind.Deny, "new mount API"),
        new("mount_setattr", SyscallRuleKind.Deny, "changes mount flags such as read-only"),

        // Namespaces: a user namespace hands out capabilities again, and setns joins someone else's.
        new("unshare", SyscallRuleKind.Deny, "creates namespaces (a user namespace grants capabilities inside it)"),
        new("setns", SyscallRuleKind.Deny, "joins another namespace"),
        new("clone", SyscallRuleKind.DenyNewNamespaces, "creates namespaces through its flags"),
        new("clone3", SyscallRuleKind.NotImplemented, "takes its flags in memory the filter cannot read; libc falls back to clone"),

        // Other processes.
        new("ptrace", SyscallRuleKind.Deny, "reads and changes other processes"),
        new("process_vm_readv", SyscallRuleKind.Deny, "reads another process's memory"),
        new("process_vm_writev", SyscallRuleKind.Deny, "writes another process's memory"),
        new("pidfd_getfd", SyscallRuleKind.Deny, "steals another process's file descriptors"),
        new("process_madvise", SyscallRuleKind.Deny, "advises on another process's memory"),
        new("kcmp", SyscallRuleKind.Deny, "compares kernel objects of other processes"),

        // Files by handle bypass the mount namespace's view.
        new("open_by_handle_at", SyscallRuleKind.Deny, "opens files by handle, past the sandbox's mounts"),
        new("name_to_handle_at", SyscallRuleKind.Deny, "makes file handles for open_by_handle_at"),

        // The kernel itself.
        new("init_module", SyscallRuleKind.Deny, "loads kernel modules"),
        new("finit_module", SyscallRuleKind.Deny, "loads kernel modules"),
        new("delete_module", SyscallRuleKind.Deny, "unloads kernel modules"),
        new("kexec_load", SyscallRuleKind.Deny, "replaces the running kernel"),
        new("kexec_file_load", SyscallRuleKind.Deny, "replaces the running kernel"),
        new("reboot", SyscallRuleKind.Deny, "reboots the machine"),
        new("swapon", SyscallRuleKind.Deny, "changes swap"),
        new("swapoff", SyscallRuleKind.Deny, "changes swap"),
        new("acct", SyscallRuleKind.Deny, "switches process accounting"),
        new("syslog", SyscallRuleKind.Deny, "reads the kernel log"),
        new("bpf", SyscallRuleKind.Deny, "loads eBPF programs"),
        new("perf_event_open", SyscallRuleKind.Deny, "profiles the kernel and other processes"),
        new("userfaultfd", SyscallRuleKind.Deny, "a common building block of kernel exploits"),
        new("io_uring_setup", SyscallRuleKind.Deny, "large attack surface; runtimes fall back to plain I/O"),
        new("io_uring_enter", SyscallRuleKind.Deny, "large attack surface"),
        new("io_uring_register", SyscallRuleKind.Deny, "large attack surface"),
        new("keyctl", SyscallRuleKind.Deny, "the kernel keyring is not namespaced"),
        new("add_key", SyscallRuleKind.Deny, "the kernel keyring is not namespaced"),
        new("request_key", SyscallRuleKind.Deny, "the kernel keyring is not namespaced"),
        new("lookup_dcookie", SyscallRuleKind.Deny, "kernel profiling"),
        new("quotactl", SyscallRuleKind.Deny, "changes disk quotas"),
        new("quotactl_fd", SyscallRuleKind.Deny, "changes disk quotas"),
        new("vhangup", SyscallRuleKind.Deny, "hangs up terminals"),
        new("uselib", SyscallRuleKind.Deny, "obsolete library loading"),

        // The machine's clock and hardware.
        new("settimeofday", SyscallRuleKind.Deny, "sets the machine's clock"),
        new("clock_settime", SyscallRuleKind.Deny, "sets the machine's clock"),
        new("clock_adjtime", SyscallRuleKind.Deny, "adjusts the machine's clock"),
        new("iopl", SyscallRuleKind.Deny, "raw I/O port access"),
        new("ioperm", SyscallRuleKind.Deny, "raw I/O port access"),

        new("personality", SyscallRuleKind.AllowDefaultPersonalityOnly, "ADDR_NO_RANDOMIZE turns address-space randomization off"),
    ];
}
