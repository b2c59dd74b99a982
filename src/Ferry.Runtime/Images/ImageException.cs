namespace Ferry.Runtime.Images;

/// <summary>An image archive that can't be used (not an OCI layout, too big, corrupt, or unpacking failed); the message says why.</summary>
public sealed class ImageException(string message, Exception? inner = null) : Exception(message, inner);
