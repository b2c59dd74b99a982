namespace Ferry.Cli;

/// <summary>The process exit codes of <c>ferry</c>; scripts rely on them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The caller's fault: bad options, an invalid manifest, an unknown app, any 4xx answer, a failing function.</summary>
    public const int UserError = 1;

    /// <summary>Ferry's fault or unreachable: a 5xx answer, no connection, an unexpected exception.</summary>
    public const int ServerError = 2;

    /// <summary>Stopped by Ctrl+C before it finished (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
