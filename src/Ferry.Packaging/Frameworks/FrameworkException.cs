namespace Ferry.Packaging.Frameworks;

/// <summary>A framework preset can't be applied or its build failed; the message names the file or tool at fault.</summary>
public sealed class FrameworkException(string message) : Exception(message);
