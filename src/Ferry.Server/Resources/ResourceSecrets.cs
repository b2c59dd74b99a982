using System.Security.Cryptography;
using System.Text;

namespace Ferry.Server.Resources;

/// <summary>
/// Credentials derived from the server's resource secret (<c>&lt;data&gt;/resource-secret.key</c>, 32 random bytes,
/// owner-only): the same app stage gets the same credentials after a restart, and nothing but the key file has to be
/// kept secret. PostgreSQL role passwords derive from the same key.
/// </summary>
public sealed class ResourceSecrets(byte[] key)
{
    /// <summary>Prefix of the bucket access keys Ferry gives functions (AWS key ids are 20 upper-case characters).</summary>
    public const string FunctionKeyPrefix = "FRYF";

    public byte[] Key => key;

    /// <summary>The access key a function of <paramref name="identity"/> (tenant/service/stage/region) uses for its buckets.</summary>
    public (string AccessKeyId, string SecretAccessKey) FunctionBucketKey(string identity)
    {
        var id = FunctionKeyPrefix + Convert.ToHexString(Derive("bucket-key-id:" + identity))[..16];
        var secret = Convert.ToBase64String(Derive("bucket-secret:" + identity)).TrimEnd('=').Replace('+', 'A').Replace('/', 'B');
        return (id, secret);
    }

    private byte[] Derive(string purpose) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose));
}
