using System.Security.Cryptography;
using System.Text;

namespace Ferry.Server.Access;

/// <summary>API token secrets: <c>fry_</c> + 43 base64url characters (256 random bits). Only their SHA-256 is stored.</summary>
public static class TokenSecret
{
    public const string Scheme = "fry_";

    public static (string Token, string Hash, string Prefix) Generate()
    {
        var token = Scheme + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token), token[..(Scheme.Length + 6)]);
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Cheap shape check before any lookup, so garbage never reaches the store.</summary>
    public static bool LooksValid(string token) => token.StartsWith(Scheme, StringComparison.Ordinal) && token.Length is > 20 and < 200;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>AWS-style access key pairs: an id like <c>AKFR…</c> (20 characters) and a 40-character secret.</summary>
public static class AccessKeySecret
{
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static (string AccessKeyId, string SecretAccessKey) Generate()
    {
        var id = "AKFR" + new string(RandomNumberGenerator.GetItems<char>(IdAlphabet, 16));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', 'x').Replace('/', 'y');
        return (id, secret);
    }
}
