using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Server.Metering;

/// <summary>
/// What invocations cost. The defaults are AWS Lambda's x86 on-demand prices; a server overrides any of them with an
/// optional <c>pricing.json</c> in its data folder, e.g.
/// <c>{ "currency": "EUR", "perMillionRequests": 0.18, "perGbSecond": 0.000015 }</c> (missing keys keep the default).
/// </summary>
public sealed record PriceTable
{
    public const string FileName = "pricing.json";

    public static PriceTable Default { get; } = new();

    /// <summary>ISO 4217 code the prices are in.</summary>
    public string Currency { get; init; } = "USD";

    /// <summary>Price of one million invocations.</summary>
    public decimal PerMillionRequests { get; init; } = 0.20m;

    /// <summary>Price of one GB-second: one second of billed duration at 1024 MB of configured memory.</summary>
    public decimal PerGbSecond { get; init; } = 0.0000166667m;

    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The prices in <c>pricing.json</c> of <paramref name="dataDirectory"/>, or the defaults when there is no such file.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid price table.</exception>
    public static PriceTable Load(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            return Default;
        }

        PriceTable? table;
        try
        {
            table = JsonSerializer.Deserialize<PriceTable>(File.ReadAllText(path), FileOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"{path}: {ex.Message} Expected an object like {{ \"currency\": \"USD\", \"perMillionRequests\": 0.20, \"perGbSecond\": 0.0000166667 }}.", ex);
        }

        if (table is null)
        {
            throw new InvalidDataException($"{path}: expected a price table object, found null.");
        }

        table.Validate(path);
        return table;
    }

    private void Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(Currency))
        {
            throw new InvalidDataException($"{path}: 'currency' must be a currency code such as USD, found an empty value.");
        }

        if (PerMillionRequests < 0 || PerGbSecond < 0)
        {
            throw new InvalidDataException(
                $"{path}: prices cannot be negative (perMillionRequests {PerMillionRequests}, perGbSecond {PerGbSecond}).");
        }
    }
}
