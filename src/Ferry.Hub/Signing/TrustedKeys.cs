using System.Collections;

namespace Ferry.Hub;

/// <summary>The public keys whose signatures are accepted, by key id (for example the hub's registered providers).</summary>
public sealed class TrustedKeys : IReadOnlyCollection<TemplatePublicKey>
{
    private readonly Dictionary<string, TemplatePublicKey> keys = new(StringComparer.Ordinal);

    public TrustedKeys(IEnumerable<TemplatePublicKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            this.keys[key.KeyId] = key;
        }
    }

    public TrustedKeys(params TemplatePublicKey[] keys)
        : this((IEnumerable<TemplatePublicKey>)keys)
    {
    }

    public int Count => keys.Count;

    public TemplatePublicKey? Find(string keyId) => keys.GetValueOrDefault(keyId);

    public IEnumerator<TemplatePublicKey> GetEnumerator() => keys.Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
