namespace Ferry.Gateway.Forwarding;

/// <summary>Checks the <c>x-api-key</c> of a request to a <c>private: true</c> route.</summary>
public interface IApiKeyValidator
{
    /// <summary>True when <paramref name="apiKey"/> is one of the API keys of the app stage <paramref name="app"/> serves.</summary>
    ValueTask<bool> IsValidAsync(DeployedApp app, string apiKey, CancellationToken cancellationToken);
}
