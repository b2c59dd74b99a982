using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;

namespace Ferry.Runtime.Sandbox;

/// <summary>Turns a process's stdout or stderr into <see cref="OutputLine"/>s.</summary>
internal static class OutputLineReader
{
    /// <summary>Longer lines are split into pieces of at most this many bytes (never inside a UTF-8 character).</summary>
    public const int MaxLineBytes = 256 * 1024;

    /// <summary>
    /// Reads <paramref name="stream"/> to its end and writes one <see cref="OutputLine"/> per line ("\n" or "\r\n"
    /// removed). Invalid UTF-8 becomes U+FFFD. Returns early, without error, when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task PumpAsync(Stream stream, bool isStderr, ChannelWriter<OutputLine> output, TimeProvider clock, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                while (TryTakeLine(ref buffer, result.IsCompleted, out var line))
                {
                    await output.WriteAsync(new OutputLine(isStderr, Decode(line), clock.GetUtcNow()), cancellationToken);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The sandbox is gone; whatever is still buffered is dropped.
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, bool isFinal, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        var lineLength = newline is { } end ? buffer.Slice(0, end).Length : buffer.Length;
        if (lineLength > MaxLineBytes || (newline is null && lineLength == MaxLineBytes))
        {
            var cut = CharacterBoundary(buffer, MaxLineBytes);
            line = buffer.Slice(0, cut);
            buffer = buffer.Slice(cut);
            return true;
        }

        if (newline is { } position)
        {
            line = buffer.Slice(0, position);
            buffer = buffer.Slice(buffer.GetPosition(1, position));
            return true;
        }

        if (isFinal && !buffer.IsEmpty)
        {
            line = buffer;
            buffer = buffer.Slice(buffer.End);
            return true;
        }

        line = default;
        return false;
    }

    /// <summary>Moves a cut at <paramref name="offset"/> back to the start of a UTF-8 character it would split.</summary>
    private static long CharacterBoundary(ReadOnlySequence<byte> buffer, long offset)
    {
        const int MaxContinuationBytes = 3;
        var start = Math.Max(0, offset - MaxContinuationBytes);
        Span<byte> tail = stackalloc byte[MaxContinuationBytes];
        var count = (int)(offset - start);
        buffer.Slice(start, count).CopyTo(tail);

        // Find the last lead byte before the cut and see whether its character ends after the cut.
        for (var i = count - 1; i >= 0; i--)
        {
            if (IsContinuationByte(tail[i]))
            {
                continue;
            }

            var length = tail[i] switch
            {
                >= 0xF0 => 4,
                >= 0xE0 => 3,
                >= 0xC0 => 2,
                _ => 1,
            };
            return i + length > count ? start + i : offset;
        }

        return offset; // Not valid UTF-8 anyway.
    }

    private static bool IsContinuationByte(byte value) => (value & 0b1100_0000) == 0b1000_0000;

    private static string Decode(ReadOnlySequence<byte> line)
    {
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        return Encoding.UTF8.GetString(line);
    }
}
