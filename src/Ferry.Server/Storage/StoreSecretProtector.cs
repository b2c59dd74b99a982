using Ferry.Store;
using Microsoft.AspNetCore.DataProtection;

namespace Ferry.Server.Storage;

/// <summary>
/// Encrypts the store's secret columns (access-key secrets, template parameter values) with ASP.NET Core Data
/// Protection, the key ring in <c>&lt;data&gt;/keys</c> that also protects remote hub tokens. Someone who reads
/// <c>ferry.db</c> (or the PostgreSQL tables) without that key ring learns no secret.
/// </summary>
public sealed class StoreSecretProtector(IDataProtectionProvider provider) : IStoredSecretProtector
{
    private const string Purpose = "Ferry.Store.Secret.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Protect(string plaintext) => _protector.Protect(plaintext);

    public string Unprotect(string protectedValue) => _protector.Unprotect(protectedValue);
}
