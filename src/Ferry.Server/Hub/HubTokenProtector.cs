using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Server.Hub;

/// <summary>
/// Encrypts the API tokens a consumer server keeps for its remote hubs (<c>ferry hub add</c>), so the store alone —
/// a SQLite file copied elsewhere, or a PostgreSQL database other people administer — does not give them away.
/// ASP.NET Core Data Protection does the cryptography (authenticated encryption, key rotation); its key ring lives in
/// the data folder, readable by the server's user only.
/// </summary>
public sealed class HubTokenProtector(IDataProtectionProvider provider)
{
    private const string Purpose = "Ferry.Hub.RemoteHubToken.v1";
    private const string PlainTokenPrefix = "fry_";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Protect(string token) => _protector.Protect(token);

    /// <exception cref="HubException">The stored value cannot be decrypted (the data folder's key ring was lost or replaced).</exception>
    public string Unprotect(string hubName, string stored)
    {
        // Hubs added before tokens were encrypted hold the token itself.
        if (stored.StartsWith(PlainTokenPrefix, StringComparison.Ordinal))
        {
            return stored;
        }

        try
        {
            return _protector.Unprotect(stored);
        }
        catch (CryptographicException)
        {
            throw new HubException(StatusCodes.Status500InternalServerError, "hub_token_unreadable",
                $"The token of hub '{hubName}' cannot be decrypted (the key ring in the data folder's keys/ was lost or replaced); add the hub again with `ferry hub add {hubName} URL --token TOKEN`");
        }
    }

    /// <summary>Data Protection with its key ring in <c>&lt;data&gt;/keys</c> (owner-only).</summary>
    public static void Register(IServiceCollection services, string dataDirectory)
    {
        var keys = Path.Combine(dataDirectory, "keys");
        Directory.CreateDirectory(keys);
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        services.AddDataProtection().SetApplicationName("ferry").PersistKeysToFileSystem(new DirectoryInfo(keys));
        services.AddSingleton<HubTokenProtector>();
    }
}
