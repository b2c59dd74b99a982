namespace Ferry.Runtime.Instances;

/// <summary>An instance could not be started or did not become ready; the message says why (and is safe to show the caller).</summary>
public sealed class InstanceStartException(string message, Exception? inner = null) : Exception(message, inner);
