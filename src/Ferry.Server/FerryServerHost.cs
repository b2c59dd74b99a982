namespace Ferry.Server;

/// <summary>Entry point of <c>ferry server</c>.</summary>
public static class FerryServerHost
{
    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires or the process is asked to stop; returns the exit code.</summary>
    public static Task<int> RunAsync(FerryServerOptions options, CancellationToken cancellationToken)
        => throw new NotImplementedException("being written");
}
