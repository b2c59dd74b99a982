using System.Text.RegularExpressions;

namespace Ferry.Resources.Tables;

/// <summary>
/// The app stage whose tables a request reaches: tables are per tenant and app stage (service, stage, region), and a
/// function's credentials reach its own app stage's tables only.
/// </summary>
public sealed partial record TableScope(string Tenant, string Service, string Stage, string Region)
{
    /// <summary>The database file of the scope under <paramref name="root"/>: <c>TENANT/SERVICE.STAGE.REGION.sqlite</c>.</summary>
    /// <exception cref="ArgumentException">A part that is not a plain name (it never comes from a request, but paths are not trusted).</exception>
    public string DatabasePath(string root)
    {
        foreach (var part in new[] { Tenant, Service, Stage, Region })
        {
            if (!SafePart().IsMatch(part))
            {
                throw new ArgumentException($"'{part}' can't name a table database: names are letters, digits, '-' and '_'");
            }
        }

        return Path.Combine(root, Tenant, $"{Service}.{Stage}.{Region}.sqlite");
    }

    public override string ToString() => $"{Tenant}/{Service}/{Stage}/{Region}";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex SafePart();
}
