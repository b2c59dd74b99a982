namespace Ferry.Runtime.Instances;

/// <summary>
/// The wait between two readiness checks of a starting web function: the poll interval, or less when the app prints a
/// line. Servers commonly say that they listen right after they do (<c>php -S</c>'s "Development Server … started",
/// gunicorn's "Listening at", an app's log line in its <c>listen</c> callback), so the check made then finds the app
/// ready without waiting for the next poll. A check made early is followed by a whole poll interval, so an app that
/// prints a lot while it starts costs at most twice the checks of the polling alone.
/// </summary>
internal sealed class ReadinessWake
{
    private TaskCompletionSource? _printed;
    private bool _checkedEarly;

    /// <summary>Call before each check, so that a line printed while it runs counts too.</summary>
    public void Arm() => Volatile.Write(ref _printed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>The app printed a line (called by the output pump; does nothing when not armed).</summary>
    public void Printed() => Volatile.Read(ref _printed)?.TrySetResult();

    /// <summary>Stops listening for lines (the start is over).</summary>
    public void Disarm() => Volatile.Write(ref _printed, null);

    /// <summary>
    /// Waits for <paramref name="poll"/> (the next poll; its cancellation is thrown), or until a line is printed when the
    /// check before was not already an early one; true when it returned early.
    /// </summary>
    public async Task<bool> WaitAsync(Task poll)
    {
        if (!_checkedEarly && Volatile.Read(ref _printed) is { } printed && await Task.WhenAny(poll, printed.Task) != poll)
        {
            _checkedEarly = true;
            return true;
        }

        _checkedEarly = false;
        await poll;
        return false;
    }
}
