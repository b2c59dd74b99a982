using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Resources.Databases;

/// <summary>
/// The role and database of one request. Both are the same identifier (roles and databases are separate namespaces).
/// pg_database and pg_roles are readable by every role on the server, so the name says nothing about whose it is:
/// <c>ferry_</c> + 32 hex digits of HMAC-SHA256(server key, identity) (<see cref="Derive"/>). Without the server key
/// the names cannot be linked to a tenant or app, not even by guessing identities. Databases made before names were
/// opaque keep their readable name (<see cref="DeriveReadable"/>): <c>ferry_</c> + a readable, truncated prefix +
/// <c>_</c> + 16 hex digits of SHA-256 over the identity. Always at most 63 bytes, only <c>[a-z0-9_]</c>.
/// </summary>
internal sealed record PostgresDatabaseNames(string Identity, string Database, string Role)
{
    public const int MaxIdentifierBytes = 63;
    private const string Prefix = "ferry_";
    private const int HashHexDigits = 16;
    private const int OpaqueHexDigits = 32;
    private const int ReadableLength = MaxIdentifierBytes - 6 - 1 - HashHexDigits;

    /// <summary>The opaque names new databases get.</summary>
    public static PostgresDatabaseNames Derive(DatabaseRequest request, ReadOnlySpan<byte> key)
    {
        request.Validate();
        var identity = IdentityOf(request);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("ferry-database-name\n" + identity));
        var identifier = Prefix + Convert.ToHexStringLower(mac)[..OpaqueHexDigits];
        return new PostgresDatabaseNames(identity, identifier, identifier);
    }

    /// <summary>The readable names databases made before opaque names got (still used for those).</summary>
    public static PostgresDatabaseNames DeriveReadable(DatabaseRequest request)
    {
        request.Validate();
        var identity = IdentityOf(request);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..HashHexDigits];
        var readable = new StringBuilder();
        foreach (var character in $"{request.Tenant}_{request.Service}_{request.Stage}_{request.Region}_{request.Name}")
        {
            if (readable.Length == ReadableLength)
            {
                break;
            }

            readable.Append(char.IsAsciiLetterOrDigit(character) ? char.ToLowerInvariant(character) : '_');
        }

        var identifier = Prefix + readable + "_" + hash;
        return new PostgresDatabaseNames(identity, identifier, identifier);
    }

    // '/' occurs in no field, so the identity is unambiguous.
    private static string IdentityOf(DatabaseRequest request) =>
        $"{request.Tenant}/{request.Service}/{request.Stage}/{request.Region}/{request.Name}";

    /// <summary>Key for pg_advisory_lock: the hash's 64 bits.</summary>
    public long AdvisoryLockKey => unchecked((long)Convert.ToUInt64(Database[^HashHexDigits..], 16));

    public int LockStripe(int stripes) => (int)(Convert.ToUInt64(Database[^HashHexDigits..], 16) % (ulong)stripes);
}

/// <summary>
/// Role passwords are derived, never stored: base64url(HMAC-SHA256(key, purpose + identity)). A restarted server
/// derives the same password, and Ensure resets the role to it, so a drifted password heals itself.
/// </summary>
internal static class PostgresRolePassword
{
    public const int MinimumKeyBytes = 32;
    private const int ScramIterations = 4096;

    public static string Derive(ReadOnlySpan<byte> key, PostgresDatabaseNames names) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("ferry-database-password\n" + names.Identity)));

    /// <summary>
    /// The SCRAM-SHA-256 verifier PostgreSQL stores for <paramref name="password"/> (RFC 5802/7677 as in
    /// PostgreSQL's scram_build_secret). Sending the verifier instead of the password keeps the password out of the
    /// server's statement log. The salt is derived too, so repeated Ensures write the same verifier.
    /// </summary>
    public static string ScramVerifier(ReadOnlySpan<byte> key, PostgresDatabaseNames names, string password)
    {
        var salt = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("ferry-database-scram-salt\n" + names.Identity))[..16];

        // The derived password is ASCII, so SASLprep leaves it unchanged.
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, ScramIterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        return $"SCRAM-SHA-256${ScramIterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
