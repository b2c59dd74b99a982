using System.Runtime.InteropServices;

namespace Ferry.Runtime.Sandbox.Seccomp;

/// <summary>
/// The seccomp program every sandbox runs under, compiled to classic BPF for bwrap's <c>--seccomp FD</c>.
/// <para>
/// The program reads <c>struct seccomp_data</c> (linux/seccomp.h: <c>int nr; u32 arch; u64 ip; u64 args[6]</c>):
/// a syscall made through any ABI but the table's kills the process; an x32 syscall number fails with EPERM; each
/// rule of <see cref="SeccompPolicy"/> jumps to its verdict; everything else is allowed.
/// </para>
/// </summary>
internal static class SeccompFilter
{
    /// <summary>Byte offsets in <c>struct seccomp_data</c>; 64-bit arguments are read by their low word (little endian).</summary>
    public const uint SyscallNumberOffset = 0;
    public const uint ArchOffset = 4;
    public const uint FirstArgumentOffset = 16;

    /// <summary>Verdicts (linux/seccomp.h).</summary>
    public const uint KillProcess = 0x80000000;
    public const uint Allow = 0x7FFF0000;
    private const uint ReturnErrno = 0x00050000;

    public const int Eperm = 1;
    public const int Enosys = 38;

    public static uint FailWith(int errno) => ReturnErrno | ((uint)errno & 0xFFFF);

    /// <summary>The program for <paramref name="table"/>'s architecture.</summary>
    public static IReadOnlyList<BpfInstruction> Compile(SyscallTable table, IReadOnlyList<SyscallRule> rules)
    {
        var program = new BpfProgramBuilder();
        var kill = program.NewLabel();
        var denyEperm = program.NewLabel();
        var denyEnosys = program.NewLabel();
        var allow = program.NewLabel();
        var checkClone = program.NewLabel();
        var checkPersonality = program.NewLabel();

        program.LoadWord(ArchOffset).JumpIfEqual(table.AuditArch, whenTrue: null, whenFalse: kill);
        program.LoadWord(SyscallNumberOffset);
        if (table.InvalidNumbersFrom is { } firstForeignNumber)
        {
            program.JumpIfGreaterOrEqual(firstForeignNumber, denyEperm);
        }

        foreach (var rule in rules)
        {
            var target = rule.Kind switch
            {
                SyscallRuleKind.Deny => denyEperm,
                SyscallRuleKind.NotImplemented => denyEnosys,
                SyscallRuleKind.DenyNewNamespaces => checkClone,
                SyscallRuleKind.AllowDefaultPersonalityOnly => checkPersonality,
                _ => throw new ArgumentOutOfRangeException(nameof(rules), rule.Kind, $"unknown rule kind for syscall {rule.Name}"),
            };
            program.JumpIfEqual(table.Number(rule.Name), target);
        }

        program.Return(Allow);

        // clone(flags, …): the flags are an unsigned long whose low 32 bits the kernel uses.
        program.Mark(checkClone).LoadWord(FirstArgumentOffset).JumpIfAnyBitSet(SeccompPolicy.NamespaceCloneFlags, denyEperm).Return(Allow);

        // personality(persona): an unsigned int.
        program.Mark(checkPersonality).LoadWord(FirstArgumentOffset)
            .JumpIfEqual(SeccompPolicy.DefaultPersonality, allow)
            .JumpIfEqual(SeccompPolicy.QueryPersonality, allow);

        program.Mark(denyEperm).Return(FailWith(Eperm));
        program.Mark(denyEnosys).Return(FailWith(Enosys));
        program.Mark(allow).Return(Allow);
        program.Mark(kill).Return(KillProcess);
        return program.Build();
    }

    /// <summary>
    /// The encoded program for the architecture this process runs on, or null with the reason when there is none
    /// (the sandbox then runs without a seccomp filter and says so in its description).
    /// </summary>
    public static byte[]? ForCurrentArchitecture(out string description)
    {
        var architecture = RuntimeInformation.ProcessArchitecture;
        if (SyscallTable.For(architecture) is not { } table)
        {
            description = $"no seccomp filter (no syscall table for {architecture})";
            return null;
        }

        description = $"seccomp ({SeccompPolicy.Rules.Count} syscalls restricted, {table.Name})";
        return BpfProgramBuilder.Encode(Compile(table, SeccompPolicy.Rules));
    }
}
