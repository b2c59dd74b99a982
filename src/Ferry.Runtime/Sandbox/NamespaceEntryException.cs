namespace Ferry.Runtime.Sandbox;

/// <summary>A sandbox's network namespace could not be entered; <see cref="Errno"/> says why (0: not tried).</summary>
public sealed class NamespaceEntryException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}
