namespace Ferry.Cli;

/// <summary>A mistake the user can fix (a missing file, a bad option value); reported without a stack trace, exit code 1.</summary>
internal sealed class CliUserException(string message, Exception? innerException = null) : Exception(message, innerException);
