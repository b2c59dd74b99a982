using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Ferry.Hub;

/// <summary>
/// A read-only view of parameter values in which the values of secret parameters read as <see cref="Mask"/>; safe to
/// print, log or return from an API. Non-secret values are shown as they are.
/// </summary>
public sealed class RedactedParameters : IReadOnlyDictionary<string, string>
{
    /// <summary>What a non-empty secret value reads as, whatever its length, so the length does not leak either.</summary>
    public const string Mask = "••••••";

    private readonly IReadOnlyDictionary<string, string> values;
    private readonly HashSet<string> secrets;

    public RedactedParameters(TemplateDefinition definition, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(values);
        this.values = values;
        secrets = definition.Parameters.Where(p => p.Secret).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
    }

    public string this[string key] => Redact(key, values[key]);

    public IEnumerable<string> Keys => values.Keys;

    public IEnumerable<string> Values => values.Select(pair => Redact(pair.Key, pair.Value));

    public int Count => values.Count;

    public bool IsSecret(string name) => secrets.Contains(name);

    public bool ContainsKey(string key) => values.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        if (values.TryGetValue(key, out var raw))
        {
            value = Redact(key, raw);
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
        values.Select(pair => KeyValuePair.Create(pair.Key, Redact(pair.Key, pair.Value))).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary><c>name=value</c> pairs separated by commas, secrets masked.</summary>
    public override string ToString() => string.Join(", ", this.Select(pair => $"{pair.Key}={pair.Value}"));

    private string Redact(string name, string value) => secrets.Contains(name) && value.Length > 0 ? Mask : value;
}
