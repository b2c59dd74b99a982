namespace Ferry.Store;

/// <summary>
/// Encrypts values the store must be able to give back in plain text (access-key secrets for SigV4 verification,
/// template parameter values for redeploys). The server implements it with ASP.NET Core Data Protection; the store
/// only decides which columns go through it.
/// </summary>
public interface IStoredSecretProtector
{
    string Protect(string plaintext);

    /// <exception cref="System.Security.Cryptography.CryptographicException">The value cannot be decrypted with the key ring at hand.</exception>
    string Unprotect(string protectedValue);
}

/// <summary>
/// How a secret column is written: <c>enc:v1:</c> followed by the protector's output. A value without the prefix is
/// a plain value written before encryption existed (or by a store opened without a protector, as in unit tests);
/// <see cref="IFerryStore.InitializeAsync"/> encrypts such rows when the store has a protector.
/// </summary>
internal sealed class StoredSecrets(IStoredSecretProtector? protector)
{
    public const string Prefix = "enc:v1:";

    /// <summary>SQL <c>LIKE</c> pattern of encrypted values.</summary>
    public const string EncryptedPattern = Prefix + "%";

    public bool CanEncrypt => protector is not null;

    public string Seal(string plaintext) => protector is null ? plaintext : Prefix + protector.Protect(plaintext);

    public static bool IsSealed(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <exception cref="InvalidOperationException">The value is encrypted but the store was opened without a protector.</exception>
    public string Open(string stored)
    {
        if (!IsSealed(stored))
        {
            return stored;
        }

        if (protector is null)
        {
            throw new InvalidOperationException(
                "The store holds encrypted secrets, but it was opened without the data folder's key ring; open it through the Ferry server.");
        }

        return protector.Unprotect(stored[Prefix.Length..]);
    }
}
