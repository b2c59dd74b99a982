namespace Ferry.Store;

/// <summary>
/// An API key of an app stage, for its <c>private: true</c> routes (API Gateway's <c>x-api-key</c>). Only a SHA-256 of
/// the key is stored; the key itself is shown once, when it is created.
/// </summary>
/// <param name="Prefix">The first characters of the key, shown in lists so people can tell keys apart.</param>
public sealed record ApiKeyRecord(long Id, long AppStageId, string Name, string Prefix, DateTimeOffset CreatedAt);

/// <summary>API keys of app stages; they go when their app stage is removed.</summary>
public interface IApiKeyStore
{
    /// <param name="keyHash">Lowercase hex SHA-256 of the key.</param>
    /// <returns>The new key; null when the app stage already has a key of that name or with that value.</returns>
    Task<ApiKeyRecord?> CreateApiKeyAsync(long appStageId, string name, string keyHash, string prefix, CancellationToken cancellationToken);

    /// <summary>The app stage's keys, by name.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(long appStageId, CancellationToken cancellationToken);

    /// <summary>Deletes the key of that name; false when the app stage has none.</summary>
    Task<bool> DeleteApiKeyAsync(long appStageId, string name, CancellationToken cancellationToken);

    /// <summary>True when the app stage has a key with that hash.</summary>
    Task<bool> ApiKeyExistsAsync(long appStageId, string keyHash, CancellationToken cancellationToken);
}
