using System.Buffers.Binary;

namespace Ferry.Runtime.Sandbox.Seccomp;

/// <summary>
/// One classic BPF instruction (<c>struct sock_filter</c>): an opcode, two relative jump offsets and a constant.
/// Jump offsets count instructions after the next one: 0 means "continue with the next instruction".
/// </summary>
internal readonly record struct BpfInstruction(ushort Code, byte JumpIfTrue, byte JumpIfFalse, uint K)
{
    /// <summary>Size of <c>struct sock_filter</c>.</summary>
    public const int Size = 8;
}

/// <summary>The classic BPF opcodes a seccomp filter needs (linux/bpf_common.h).</summary>
internal static class BpfOpcode
{
    /// <summary>BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at offset k of <c>struct seccomp_data</c>.</summary>
    public const ushort LoadWordAbsolute = 0x00 | 0x00 | 0x20;

    /// <summary>BPF_JMP | BPF_JEQ | BPF_K: jump if A == k.</summary>
    public const ushort JumpIfEqual = 0x05 | 0x10 | 0x00;

    /// <summary>BPF_JMP | BPF_JGE | BPF_K: jump if A &gt;= k (unsigned).</summary>
    public const ushort JumpIfGreaterOrEqual = 0x05 | 0x30 | 0x00;

    /// <summary>BPF_JMP | BPF_JSET | BPF_K: jump if (A &amp; k) != 0.</summary>
    public const ushort JumpIfAnyBitSet = 0x05 | 0x40 | 0x00;

    /// <summary>BPF_RET | BPF_K: end the program with verdict k.</summary>
    public const ushort Return = 0x06 | 0x00;
}

/// <summary>
/// Builds a classic BPF program with named jump targets. Classic BPF only jumps forward and by at most 255
/// instructions; <see cref="Build"/> resolves the labels and refuses programs that break either rule.
/// </summary>
internal sealed class BpfProgramBuilder
{
    private readonly List<PendingInstruction> _instructions = [];
    private readonly List<int?> _labelPositions = [];

    /// <summary>A jump target, placed later with <see cref="Mark"/>.</summary>
    public readonly record struct Label(int Id);

    public int Count => _instructions.Count;

    public Label NewLabel()
    {
        _labelPositions.Add(null);
        return new Label(_labelPositions.Count - 1);
    }

    /// <summary>Makes <paramref name="label"/> point at the next instruction emitted.</summary>
    public BpfProgramBuilder Mark(Label label)
    {
        if (_labelPositions[label.Id] is not null)
        {
            throw new InvalidOperationException($"BPF label {label.Id} is already placed.");
        }

        _labelPositions[label.Id] = _instructions.Count;
        return this;
    }

    /// <summary>A = the 32-bit word at byte <paramref name="offset"/> of the input (native byte order).</summary>
    public BpfProgramBuilder LoadWord(uint offset) => Emit(new PendingInstruction(BpfOpcode.LoadWordAbsolute, null, null, offset));

    /// <summary>Jumps to <paramref name="whenTrue"/> if A == <paramref name="value"/>, else to <paramref name="whenFalse"/> (or on).</summary>
    public BpfProgramBuilder JumpIfEqual(uint value, Label? whenTrue, Label? whenFalse = null)
        => Emit(new PendingInstruction(BpfOpcode.JumpIfEqual, whenTrue, whenFalse, value));

    /// <summary>Jumps to <paramref name="whenTrue"/> if A &gt;= <paramref name="value"/> (unsigned), else on.</summary>
    public BpfProgramBuilder JumpIfGreaterOrEqual(uint value, Label whenTrue)
        => Emit(new PendingInstruction(BpfOpcode.JumpIfGreaterOrEqual, whenTrue, null, value));

    /// <summary>Jumps to <paramref name="whenTrue"/> if any bit of <paramref name="mask"/> is set in A, else on.</summary>
    public BpfProgramBuilder JumpIfAnyBitSet(uint mask, Label whenTrue)
        => Emit(new PendingInstruction(BpfOpcode.JumpIfAnyBitSet, whenTrue, null, mask));

    /// <summary>Ends the program with <paramref name="verdict"/>.</summary>
    public BpfProgramBuilder Return(uint verdict) => Emit(new PendingInstruction(BpfOpcode.Return, null, null, verdict));

    /// <summary>The program with every label resolved to a relative offset.</summary>
    /// <exception cref="InvalidOperationException">A label was never placed, points backwards or is more than 255 instructions away.</exception>
    public IReadOnlyList<BpfInstruction> Build()
    {
        var program = new BpfInstruction[_instructions.Count];
        for (var position = 0; position < _instructions.Count; position++)
        {
            var pending = _instructions[position];
            program[position] = new BpfInstruction(pending.Code, Offset(position, pending.WhenTrue), Offset(position, pending.WhenFalse), pending.K);
        }

        if (program.Length == 0 || program[^1].Code != BpfOpcode.Return)
        {
            throw new InvalidOperationException("A BPF program must end with a return instruction.");
        }

        return program;
    }

    /// <summary>The program as the kernel (and bwrap --seccomp) reads it: an array of <c>struct sock_filter</c>.</summary>
    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        var bytes = new byte[program.Count * BpfInstruction.Size];
        for (var i = 0; i < program.Count; i++)
        {
            var slot = bytes.AsSpan(i * BpfInstruction.Size, BpfInstruction.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(slot, program[i].Code);
            slot[2] = program[i].JumpIfTrue;
            slot[3] = program[i].JumpIfFalse;
            BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], program[i].K);
        }

        return bytes;
    }

    private BpfProgramBuilder Emit(PendingInstruction instruction)
    {
        _instructions.Add(instruction);
        return this;
    }

    private byte Offset(int position, Label? target)
    {
        if (target is not { } label)
        {
            return 0;
        }

        var destination = _labelPositions[label.Id]
            ?? throw new InvalidOperationException($"BPF label {label.Id} is used at instruction {position} but never placed.");
        var offset = destination - position - 1;
        if (offset < 0 || offset > byte.MaxValue)
        {
            throw new InvalidOperationException(
                $"BPF jump from instruction {position} to {destination} is out of range; classic BPF jumps forward by 0 to 255 instructions.");
        }

        return (byte)offset;
    }

    private sealed record PendingInstruction(ushort Code, Label? WhenTrue, Label? WhenFalse, uint K);
}
