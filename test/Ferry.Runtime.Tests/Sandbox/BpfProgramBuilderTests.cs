using Ferry.Runtime.Sandbox.Seccomp;

namespace Ferry.Runtime.Tests.Sandbox;

public sealed class BpfProgramBuilderTests
{
    [Fact]
    public void Labels_become_offsets_relative_to_the_next_instruction()
    {
        var builder = new BpfProgramBuilder();
        var deny = builder.NewLabel();
        builder.LoadWord(0).JumpIfEqual(7, deny).JumpIfEqual(8, whenTrue: null, whenFalse: deny).Return(1);
        builder.Mark(deny).Return(2);

        var program = builder.Build();

        Assert.Equal(
            [
                new BpfInstruction(BpfOpcode.LoadWordAbsolute, 0, 0, 0),
                new BpfInstruction(BpfOpcode.JumpIfEqual, 2, 0, 7),
                new BpfInstruction(BpfOpcode.JumpIfEqual, 0, 1, 8),
                new BpfInstruction(BpfOpcode.Return, 0, 0, 1),
                new BpfInstruction(BpfOpcode.Return, 0, 0, 2),
            ],
            program);
        Assert.Equal(2u, BpfInterpreter.Run(program, 7));
        Assert.Equal(1u, BpfInterpreter.Run(program, 8));
        Assert.Equal(2u, BpfInterpreter.Run(program, 9));
    }

    [Fact]
    public void Encode_writes_struct_sock_filter_in_little_endian()
    {
        var bytes = BpfProgramBuilder.Encode([new BpfInstruction(0x0015, 3, 4, 0xC000003E), new BpfInstruction(0x0006, 0, 0, 0x7FFF0000)]);

        Assert.Equal(new byte[] { 0x15, 0x00, 3, 4, 0x3E, 0x00, 0x00, 0xC0, 0x06, 0x00, 0, 0, 0x00, 0x00, 0xFF, 0x7F }, bytes);
    }

    [Fact]
    public void A_jump_further_than_255_instructions_is_refused()
    {
        var builder = new BpfProgramBuilder();
        var far = builder.NewLabel();
        builder.LoadWord(0).JumpIfEqual(1, far);
        for (var i = 0; i < 256; i++)
        {
            builder.Return(0);
        }

        builder.Mark(far).Return(1);

        var error = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("out of range", error.Message);
    }

    [Fact]
    public void A_label_that_is_never_placed_is_refused()
    {
        var builder = new BpfProgramBuilder();
        builder.LoadWord(0).JumpIfEqual(1, builder.NewLabel()).Return(0);

        var error = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("never placed", error.Message);
    }

    [Fact]
    public void A_program_must_end_with_a_return()
    {
        var builder = new BpfProgramBuilder();
        builder.Return(0).LoadWord(0);

        Assert.Throws<InvalidOperationException>(builder.Build);
    }
}
