namespace Ferry.Hub;

/// <summary>A template package can't be read: it is not a zip, has unexpected or unsafe entries, lacks a part, or exceeds a limit.</summary>
public sealed class TemplatePackageException(string message, Exception? innerException = null) : Exception(message, innerException);
