namespace Ferry.Packaging;

/// <summary>An archive cannot be created or extracted safely (escaping symlink, malicious entry, limit exceeded, corrupt data).</summary>
public sealed class ArchiveException(string message, Exception? innerException = null) : Exception(message, innerException);
