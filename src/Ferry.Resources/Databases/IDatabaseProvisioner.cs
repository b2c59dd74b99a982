namespace Ferry.Resources.Databases;

/// <summary>Creates and removes the databases of app stages for one engine.</summary>
public interface IDatabaseProvisioner
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Engine { get; }

    /// <summary>
    /// Creates the database when missing and returns how a function reaches it. Idempotent, and safe to call
    /// concurrently for the same request; repairs what drifted (permissions, the role's password).
    /// </summary>
    Task<DatabaseBinding> EnsureAsync(DatabaseRequest request, CancellationToken cancellationToken);

    /// <summary>Removes the database and everything in it. Returns false when nothing existed.</summary>
    Task<bool> DropAsync(DatabaseRequest request, CancellationToken cancellationToken);
}
