using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Manifest;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Domains;

/// <summary>
/// The HTTPS certificate of each TLS handshake, chosen by the server name the client sent (SNI) from PEM files in one
/// folder (<c>--tls-cert DIR</c>, default <c>&lt;data&gt;/certs</c>): <c>api.example.com.pem</c> with its key in
/// <c>api.example.com.key</c> (or in the same file), else <c>*.example.com.pem</c>, else <c>default.pem</c> (also for
/// clients that send no name). Files are checked on every handshake (size and modification time): replacing them takes
/// effect at the next handshake, without a restart. A file that can't be read (a half-written one) keeps the previous
/// certificate in use. Only server names that are valid host names become file names.
/// </summary>
public sealed partial class SniCertificates(string directory, ILogger<SniCertificates> logger)
{
    public const string DefaultName = "default";

    private readonly ConcurrentDictionary<string, Loaded> _loaded = new(StringComparer.Ordinal);

    public string Directory { get; } = directory;

    /// <summary>The certificate for <paramref name="serverName"/>; null when the folder has none that fits (the handshake fails).</summary>
    public X509Certificate2? Select(string? serverName)
    {
        var name = serverName?.TrimEnd('.').ToLowerInvariant();
        if (name is not null && DomainNameRules.IsValid(name) && !DomainNameRules.IsWildcard(name))
        {
            if (Load(name) is { } exact)
            {
                return exact;
            }

            if (DomainNameRules.ParentOf(name) is { Length: > 0 } parent && Load(DomainNameRules.WildcardPrefix + parent) is { } wildcard)
            {
                return wildcard;
            }
        }

        return Load(DefaultName);
    }

    private X509Certificate2? Load(string name)
    {
        var certificatePath = Path.Combine(Directory, name + ".pem");
        var keyPath = Path.Combine(Directory, name + ".key");
        var certificateFile = new FileInfo(certificatePath);
        if (!certificateFile.Exists)
        {
            _loaded.TryRemove(name, out _);
            return null;
        }

        var keyFile = new FileInfo(keyPath);
        var stamp = new FileStamp(certificateFile.LastWriteTimeUtc, certificateFile.Length,
            keyFile.Exists ? keyFile.LastWriteTimeUtc : DateTime.MinValue, keyFile.Exists ? keyFile.Length : -1);
        _loaded.TryGetValue(name, out var previous);
        if (previous is not null && previous.Stamp == stamp)
        {
            return previous.Certificate;
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyFile.Exists ? keyPath : null);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                LogUnusable(name, "the certificate has no private key");
                return previous?.Certificate;
            }

            _loaded[name] = new Loaded(stamp, certificate);
            LogLoaded(name, certificate.Subject, certificate.NotAfter);
            return certificate;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogUnusable(name, ex.Message);
            return previous?.Certificate;
        }
    }

    private readonly record struct FileStamp(DateTime CertificateWritten, long CertificateLength, DateTime KeyWritten, long KeyLength);

    /// <summary>A certificate that is replaced is not disposed: a handshake may still be using it.</summary>
    private sealed record Loaded(FileStamp Stamp, X509Certificate2 Certificate);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate {Name} loaded: {Subject}, valid until {NotAfter:u}")]
    private partial void LogLoaded(string name, string subject, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS certificate {Name} can't be used: {Reason}")]
    private partial void LogUnusable(string name, string reason);
}
