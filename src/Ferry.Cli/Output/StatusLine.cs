namespace Ferry.Cli.Output;

/// <summary>
/// Progress of a long step on stderr. On a terminal one line is rewritten in place (at most 10 times a second); when
/// stderr is a file or pipe a line is written only once the step has taken a while, and then every few seconds, so
/// logs of quick runs stay short.
/// </summary>
internal sealed class StatusLine(TextWriter error, bool isTerminal, TimeProvider time)
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PlainFirstAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private readonly long _started = time.GetTimestamp();
    private readonly Lock _gate = new();
    private TimeSpan? _lastWritten;
    private bool _lineOpen;

    public void Update(string text)
    {
        lock (_gate)
        {
            var elapsed = time.GetElapsedTime(_started);
            if (isTerminal)
            {
                if (_lastWritten is { } last && elapsed - last < TerminalInterval)
                {
                    return;
                }

                error.Write("\r" + text + "\u001b[K");
                _lineOpen = true;
            }
            else
            {
                var due = _lastWritten is { } last ? last + PlainInterval : PlainFirstAfter;
                if (elapsed < due)
                {
                    return;
                }

                error.WriteLine(text);
            }

            _lastWritten = elapsed;
        }
    }

    /// <summary>Ends the step with a final line (always written).</summary>
    public void Complete(string text)
    {
        lock (_gate)
        {
            error.WriteLine(isTerminal ? "\r" + text + "\u001b[K" : text);
            _lineOpen = false;
        }
    }

    /// <summary>Ends the step without a final line; on a terminal, clears the progress line.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (_lineOpen)
            {
                error.Write("\r\u001b[K");
                _lineOpen = false;
            }
        }
    }
}
