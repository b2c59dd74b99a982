using Ferry.Runtime.Sandbox.Seccomp;

namespace Ferry.Runtime.Tests.Sandbox;

/// <summary>The compiled filter, run through <see cref="BpfInterpreter"/> for the decisions that matter.</summary>
public sealed class SeccompFilterTests
{
    private static readonly IReadOnlyList<BpfInstruction> Program = SeccompFilter.Compile(SyscallTable.X86_64, SeccompPolicy.Rules);
    private static readonly uint Eperm = SeccompFilter.FailWith(SeccompFilter.Eperm);

    private static uint Verdict(string syscall, params ulong[] arguments) =>
        BpfInterpreter.Run(Program, SyscallTable.X86_64.Number(syscall), BpfInterpreter.AuditArchX86_64, arguments);

    [Fact]
    public void The_program_checks_the_architecture_before_anything_else()
    {
        Assert.Equal(new BpfInstruction(BpfOpcode.LoadWordAbsolute, 0, 0, SeccompFilter.ArchOffset), Program[0]);
        Assert.Equal(BpfOpcode.JumpIfEqual, Program[1].Code);
        Assert.Equal(SyscallTable.X86_64.AuditArch, Program[1].K);
        Assert.Equal(BpfOpcode.Return, Program[^1].Code);
    }

    [Fact]
    public void Syscalls_through_another_abi_kill_the_process()
    {
        Assert.Equal(SeccompFilter.KillProcess, BpfInterpreter.Run(Program, 0, BpfInterpreter.AuditArchI386));
        Assert.Equal(SeccompFilter.KillProcess, BpfInterpreter.Run(Program, 21 /* i386 mount */, BpfInterpreter.AuditArchI386));
    }

    [Fact]
    public void X32_syscall_numbers_fail_with_eperm()
    {
        Assert.Equal(Eperm, BpfInterpreter.Run(Program, 0x40000000 | 165 /* x32 mount */));
        Assert.Equal(Eperm, BpfInterpreter.Run(Program, 0x40000000));
    }

    [Theory]
    [MemberData(nameof(DeniedSyscalls))]
    public void Every_denied_syscall_fails_with_eperm(string syscall) => Assert.Equal(Eperm, Verdict(syscall));

    public static TheoryData<string> DeniedSyscalls() =>
        new(SeccompPolicy.Rules.Where(r => r.Kind == SyscallRuleKind.Deny).Select(r => r.Name));

    [Theory]
    [InlineData(0u)] // read
    [InlineData(1u)] // write
    [InlineData(57u)] // fork
    [InlineData(59u)] // execve
    [InlineData(62u)] // kill
    [InlineData(257u)] // openat
    [InlineData(41u)] // socket
    [InlineData(42u)] // connect
    public void Ordinary_syscalls_are_allowed(uint number) => Assert.Equal(SeccompFilter.Allow, BpfInterpreter.Run(Program, number));

    [Fact]
    public void Clone_creates_processes_and_threads_but_no_namespaces()
    {
        const ulong forkFlags = 0x01200011; // CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
        const ulong threadFlags = 0x003D0F00; // what glibc's pthread_create passes
        Assert.Equal(SeccompFilter.Allow, Verdict("clone", forkFlags));
        Assert.Equal(SeccompFilter.Allow, Verdict("clone", threadFlags));

        Assert.Equal(Eperm, Verdict("clone", 0x10000000 | 0x11)); // CLONE_NEWUSER
        Assert.Equal(Eperm, Verdict("clone", 0x20000000 | 0x11)); // CLONE_NEWPID
        Assert.Equal(Eperm, Verdict("clone", 0x40000000 | 0x11)); // CLONE_NEWNET
        Assert.Equal(Eperm, Verdict("clone", 0x00020000 | 0x11)); // CLONE_NEWNS
    }

    [Fact]
    public void Clone3_reports_not_implemented_so_libc_falls_back_to_clone() =>
        Assert.Equal(SeccompFilter.FailWith(SeccompFilter.Enosys), Verdict("clone3"));

    [Fact]
    public void Personality_may_be_read_or_reset_but_not_changed()
    {
        Assert.Equal(SeccompFilter.Allow, Verdict("personality", 0));
        Assert.Equal(SeccompFilter.Allow, Verdict("personality", 0xFFFFFFFF));
        Assert.Equal(Eperm, Verdict("personality", 0x0040000)); // ADDR_NO_RANDOMIZE
        Assert.Equal(Eperm, Verdict("personality", 0x0008)); // PER_LINUX32
    }

    [Fact]
    public void Every_rule_names_a_distinct_syscall_the_table_knows()
    {
        var numbers = SeccompPolicy.Rules.Select(r => SyscallTable.X86_64.Number(r.Name)).ToList();

        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.True(n < SyscallTable.X86_64.InvalidNumbersFrom));
    }

    [Fact]
    public void The_encoded_program_is_eight_bytes_per_instruction()
    {
        var bytes = SeccompFilter.ForCurrentArchitecture(out var description);

        Assert.NotNull(bytes);
        Assert.Equal(Program.Count * BpfInstruction.Size, bytes.Length);
        Assert.Equal(BpfProgramBuilder.Encode(Program), bytes);
        Assert.Contains("x86_64", description);
    }
}
