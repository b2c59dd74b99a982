using System.Security.Cryptography;
using System.Text;
using Ferry.Gateway.Forwarding;
using Ferry.Manifest;
using Ferry.Server.Api;
using Ferry.Store;

namespace Ferry.Server.ApiKeys;

/// <summary>
/// API keys of app stages: created by <c>ferry apikey create</c> or from <c>provider.apiGateway.apiKeys</c> at deploy,
/// checked by the gateway for <c>private: true</c> routes. Only the SHA-256 of a key is stored.
/// </summary>
public sealed class ApiKeyService(IFerryStore appStages, IApiKeyStore keys) : IApiKeyValidator
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int GeneratedLength = 40;
    private const int PrefixLength = 6;

    /// <summary>The new key, or null when the app stage has a key of that name or value already.</summary>
    /// <param name="value">The key; a random 40-character one when null.</param>
    public async Task<CreatedApiKey?> CreateAsync(long appStageId, string name, string? value, CancellationToken cancellationToken)
    {
        var key = value ?? new string(RandomNumberGenerator.GetItems<char>(Alphabet, GeneratedLength));
        var record = await keys.CreateApiKeyAsync(appStageId, name, Hash(key), key[..PrefixLength], cancellationToken);
        return record is null ? null : new CreatedApiKey(name, value is null ? key : null, Info(record));
    }

    /// <summary>
    /// Creates the keys serverless.yml declares that the app stage lacks (by name); keys it has are left as they are,
    /// as a redeploy on AWS keeps them. Returns the keys created.
    /// </summary>
    public async Task<IReadOnlyList<CreatedApiKey>> EnsureDeclaredAsync(long appStageId, IReadOnlyList<ApiKeyDeclaration> declared, CancellationToken cancellationToken)
    {
        if (declared.Count == 0)
        {
            return [];
        }

        var existing = (await keys.ListApiKeysAsync(appStageId, cancellationToken)).Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var created = new List<CreatedApiKey>();
        foreach (var key in declared.Where(k => !existing.Contains(k.Name)))
        {
            if (await CreateAsync(appStageId, key.Name, key.Value, cancellationToken) is { } made)
            {
                created.Add(made);
            }
        }

        return created;
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(long appStageId, CancellationToken cancellationToken) =>
        [.. (await keys.ListApiKeysAsync(appStageId, cancellationToken)).Select(Info)];

    public Task<bool> RevokeAsync(long appStageId, string name, CancellationToken cancellationToken) =>
        keys.DeleteApiKeyAsync(appStageId, name, cancellationToken);

    public async ValueTask<bool> IsValidAsync(DeployedApp app, string apiKey, CancellationToken cancellationToken)
    {
        if (apiKey.Length > ApiKeyRules.MaximumValueLength)
        {
            return false;
        }

        var appStage = await appStages.FindAppStageAsync(app.Tenant, app.Service, app.Stage, app.Region, cancellationToken);
        return appStage is not null && await keys.ApiKeyExistsAsync(appStage.Id, Hash(apiKey), cancellationToken);
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static ApiKeyInfo Info(ApiKeyRecord record) => new(record.Name, record.Prefix, record.CreatedAt);
}
