namespace Ferry.Server.Api;

// API keys of an app stage, for its private: true routes (x-api-key header):
//   POST   /api/v1/apps/{service}/{stage}/api-keys?region=R          CreateApiKeyRequest -> 201 CreatedApiKey; 409 when the name or value is taken
//   GET    /api/v1/apps/{service}/{stage}/api-keys?region=R          -> ApiKeyInfo[]
//   DELETE /api/v1/apps/{service}/{stage}/api-keys/{name}?region=R   -> 204; 404 when there is no such key

/// <param name="Value">The key itself (20-128 printable characters); Ferry generates one when it is null.</param>
public sealed record CreateApiKeyRequest(string Name, string? Value = null);

/// <param name="Prefix">The key's first characters, to tell keys apart.</param>
public sealed record ApiKeyInfo(string Name, string Prefix, DateTimeOffset CreatedAt);

/// <summary>A new key. <paramref name="Value"/> is shown this once (only a hash is kept); null when the caller chose it.</summary>
public sealed record CreatedApiKey(string Name, string? Value, ApiKeyInfo Info);
