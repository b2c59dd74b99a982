using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox.Seccomp;

/// <summary>
/// Syscall numbers of one architecture, and the <c>AUDIT_ARCH_*</c> value the kernel reports for it in
/// <c>seccomp_data.arch</c>. Numbers differ between architectures, so a filter is only valid for the one it was built for.
/// </summary>
internal sealed class SyscallTable
{
    private readonly IReadOnlyDictionary<string, uint> _numbers;

    private SyscallTable(string name, uint auditArch, uint? invalidNumbersFrom, IReadOnlyDictionary<string, uint> numbers)
    {
        Name = name;
        AuditArch = auditArch;
        InvalidNumbersFrom = invalidNumbersFrom;
        _numbers = numbers;
    }

    /// <summary>E.g. "x86_64".</summary>
    public string Name { get; }

    /// <summary>AUDIT_ARCH_* (linux/audit.h): the ABI a syscall was made through.</summary>
    public uint AuditArch { get; }

    /// <summary>
    /// Syscall numbers from this value up belong to another ABI sharing the same AUDIT_ARCH (x32 on x86_64, marked by
    /// __X32_SYSCALL_BIT); they are refused wholesale, or they would reach the kernel under numbers the filter never checks.
    /// </summary>
    public uint? InvalidNumbersFrom { get; }

    /// <summary>x86_64, from asm/unistd_64.h.</summary>
    public static SyscallTable X86_64 { get; } = new("x86_64", auditArch: 0xC000003E, invalidNumbersFrom: 0x40000000, new Dictionary<string, uint>
    {
        ["ptrace"] = 101, ["syslog"] = 103, ["uselib"] = 134, ["personality"] = 135, ["vhangup"] = 153,
        ["pivot_root"] = 155, ["acct"] = 163, ["settimeofday"] = 164, ["mount"] = 165, ["umount2"] = 166,
        ["swapon"] = 167, ["swapoff"] = 168, ["reboot"] = 169, ["iopl"] = 172, ["ioperm"] = 173,
        ["init_module"] = 175, ["delete_module"] = 176, ["quotactl"] = 179, ["lookup_dcookie"] = 212,
        ["clock_settime"] = 227, ["kexec_load"] = 246, ["add_key"] = 248, ["request_key"] = 249, ["keyctl"] = 250,
        ["unshare"] = 272, ["perf_event_open"] = 298, ["name_to_handle_at"] = 303, ["open_by_handle_at"] = 304,
        ["clock_adjtime"] = 305, ["setns"] = 308, ["process_vm_readv"] = 310, ["process_vm_writev"] = 311,
        ["kcmp"] = 312, ["finit_module"] = 313, ["kexec_file_load"] = 320, ["bpf"] = 321, ["userfaultfd"] = 323,
        ["io_uring_setup"] = 425, ["io_uring_enter"] = 426, ["io_uring_register"] = 427, ["open_tree"] = 428,
        ["move_mount"] = 429, ["fsopen"] = 430, ["fsconfig"] = 431, ["fsmount"] = 432, ["fspick"] = 433,
        ["clone3"] = 435, ["pidfd_getfd"] = 438, ["process_madvise"] = 440, ["mount_setattr"] = 442, ["quotactl_fd"] = 443,
        ["clone"] = 56,
    });

    /// <summary>The table for the architecture this process runs on; null when Ferry has none for it (yet).</summary>
    public static SyscallTable? For(Architecture architecture) => architecture switch
    {
        Architecture.X64 => X86_64,
        _ => null,
    };

    /// <summary>The number of <paramref name="name"/> on this architecture.</summary>
    /// <exception cref="KeyNotFoundException">The table does not know the syscall (a bug in the policy or the table).</exception>
    public uint Number(string name) => _numbers.TryGetValue(name, out var number)
        ? number
        : throw new KeyNotFoundException($"The {Name} syscall table has no number for '{name}'.");
}
