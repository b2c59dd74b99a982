namespace Ferry.Store;

/// <summary>The store's database server could not be reached (or refused the login). The message never holds a password.</summary>
public sealed class StoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
