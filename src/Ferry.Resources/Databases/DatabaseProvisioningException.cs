namespace Ferry.Resources.Databases;

/// <summary>A database could not be created or removed; the message names the database and the cause.</summary>
public sealed class DatabaseProvisioningException : Exception
{
    public DatabaseProvisioningException(DatabaseRequest request, string action, string cause, Exception? innerException = null)
        : base($"Could not {action} {request.DisplayName}: {cause}", innerException)
    {
        Request = request;
        Cause = cause;
    }

    public DatabaseRequest Request { get; }

    public string Cause { get; }
}
