using Ferry.Runtime.Sandbox.Seccomp;

namespace Ferry.Runtime.Tests.Sandbox;

/// <summary>
/// Runs a seccomp BPF program the way the kernel would, for the instructions <see cref="BpfProgramBuilder"/> emits,
/// so filter tests can ask "what happens to this syscall" instead of inspecting opcodes.
/// </summary>
internal static class BpfInterpreter
{
    public const uint AuditArchX86_64 = 0xC000003E;
    public const uint AuditArchI386 = 0x40000003;

    /// <summary>The verdict for a syscall made with <paramref name="arguments"/> through the ABI <paramref name="arch"/>.</summary>
    public static uint Run(IReadOnlyList<BpfInstruction> program, uint syscallNumber, uint arch = AuditArchX86_64, params ulong[] arguments)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), syscallNumber);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        for (var i = 0; i < arguments.Length; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(16 + (8 * i)), arguments[i]);
        }

        uint accumulator = 0;
        var pc = 0;
        for (var steps = 0; steps <= program.Count; steps++)
        {
            Assert.InRange(pc, 0, program.Count - 1);
            var instruction = program[pc];
            switch (instruction.Code)
            {
                case BpfOpcode.LoadWordAbsolute:
                    Assert.True(instruction.K % 4 == 0 && instruction.K <= 60, $"misaligned or out-of-range load at {pc}");
                    accumulator = BitConverter.ToUInt32(data, (int)instruction.K);
                    pc++;
                    break;
                case BpfOpcode.JumpIfEqual:
                    pc += 1 + (accumulator == instruction.K ? instruction.JumpIfTrue : instruction.JumpIfFalse);
                    break;
                case BpfOpcode.JumpIfGreaterOrEqual:
                    pc += 1 + (accumulator >= instruction.K ? instruction.JumpIfTrue : instruction.JumpIfFalse);
                    break;
                case BpfOpcode.JumpIfAnyBitSet:
                    pc += 1 + ((accumulator & instruction.K) != 0 ? instruction.JumpIfTrue : instruction.JumpIfFalse);
                    break;
                case BpfOpcode.Return:
                    return instruction.K;
                default:
                    Assert.Fail($"unknown opcode 0x{instruction.Code:x} at {pc}");
                    break;
            }
        }

        Assert.Fail("the program did not return");
        return 0;
    }
}
