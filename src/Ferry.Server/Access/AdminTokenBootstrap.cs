using Ferry.Store;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Access;

/// <summary>
/// On the first start (no active token at all) creates the <c>default</c> tenant and an admin token, and writes the
/// token to <c>&lt;data&gt;/admin-token</c> readable only by the owner. That file is how the operator gets in.
/// </summary>
public static partial class AdminTokenBootstrap
{
    public const string DefaultTenant = "default";
    public const string FileName = "admin-token";

    public static async Task EnsureAsync(IAccessStore store, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        await store.CreateTenantAsync(DefaultTenant, cancellationToken);
        var path = Path.Combine(dataDirectory, FileName);
        if (await store.CountActiveTokensAsync(cancellationToken) > 0)
        {
            return;
        }

        var (token, hash, prefix) = TokenSecret.Generate();
        await store.CreateTokenAsync(DefaultTenant, "bootstrap admin", [Role.Admin], hash, prefix, cancellationToken);
        await using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteLineAsync(token);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        LogCreated(logger, path);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created the first admin token and wrote it to {Path} (readable by this user only). Use it as FERRY_TOKEN, then create tenants and tokens with `ferry tenant create` / `ferry token create`.")]
    private static partial void LogCreated(ILogger logger, string path);
}
