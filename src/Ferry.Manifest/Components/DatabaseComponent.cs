using YamlDotNet.RepresentationModel;

namespace Ferry.Manifest.Components;

/// <summary>
/// The <c>postgresql</c> component (Tencent's name for a managed PostgreSQL instance): an app stage whose only
/// resource is one database named after the component instance (a SQLite file, or a PostgreSQL database and role
/// with <c>ferry server --database-server</c>). Placement and sizing inputs have no meaning on Ferry: a warning each.
/// </summary>
internal sealed class DatabaseComponent(ComponentTranslator translator)
{
    /// <summary>Inputs Ferry reads silently.</summary>
    private static readonly HashSet<string> Quiet = new(StringComparer.Ordinal) { "region", "description", "tags" };

    /// <returns>False after reporting that the instance name can't name a database.</returns>
    public bool AddDatabase(YamlMappingNode translated, YamlScalarNode instance, YamlMappingNode inputs)
    {
        foreach (var (key, _) in inputs.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && !Quiet.Contains(name))
            {
                translator.Warning(key, $"inputs.{name} is ignored: on Ferry the database is a SQLite file or a database of the server's PostgreSQL (ferry server --database-server), placed and sized by the server");
            }
        }

        var database = instance.Value!;
        if (!Rules.NamingRules.IsValidDatabaseName(database))
        {
            translator.Error(instance, $"the postgresql component's name {Rules.NamingRules.Quote(database)} names its database, and database names are {Rules.NamingRules.DatabaseNameRule}");
            return false;
        }

        translated.Add("functions", new YamlMappingNode());
        translated.Add("resources", new YamlMappingNode { { "databases", new YamlMappingNode { { database, new YamlScalarNode() } } } });
        return true;
    }
}

/// <summary>
/// What a database component offers as its connection outputs (<c>connectionString</c>, <c>private.connectionString</c>,
/// <c>public.connectionString</c>, <c>url</c>): not the URL itself, which holds a password with PostgreSQL and must not
/// be copied into another component's settings, but which database it is. A component that reads one of them gets
/// the database under <c>resources.databases</c> (used, not owned) and <c>Fn::GetAtt [NAME, Url]</c> in its place.
/// </summary>
public sealed record DatabaseComponentOutput(string Service, string Stage, string Region, string Database)
{
    private const string Scheme = "ferry-database://";

    /// <summary>The outputs that stand for the connection URL.</summary>
    public static IReadOnlyList<string> ConnectionKeys { get; } = ["connectionString", "private.connectionString", "public.connectionString", "url"];

    /// <summary><c>ferry-database://shop-db/dev@ap-guangzhou/shop-db</c>: names the database, holds no secret.</summary>
    public override string ToString() => $"{Scheme}{Service}/{Stage}@{Region}/{Database}";

    public static DatabaseComponentOutput? TryParse(string? value)
    {
        if (value is null || !value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = value[Scheme.Length..].Split('/');
        if (parts.Length != 3 || parts[1].Split('@') is not [var stage, var region])
        {
            return null;
        }

        return new DatabaseComponentOutput(parts[0], stage, region, parts[2]);
    }
}
