using System.Security.Cryptography;
using System.Text;
using Ferry.Store;

namespace Ferry.Server.Access;

/// <summary>
/// The credential this server uses when it installs from its own template center ("local" hub): an installer token
/// that exists only in memory for the life of the process, so no person ever holds it.
/// </summary>
public sealed class LocalInstallerCredential
{
    private readonly byte[] _token;

    public LocalInstallerCredential()
    {
        Token = TokenSecret.Generate().Token;
        _token = Encoding.UTF8.GetBytes(Token);
    }

    public string Token { get; }

    public Caller Caller { get; } = new("local-installer", new HashSet<Role> { Role.Installer }, TokenId: 0, TokenName: "this server's installer");

    public bool Matches(string token) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _token);
}
