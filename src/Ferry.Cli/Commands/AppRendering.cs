using System.Globalization;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>Text rendering of an app's parts, shared by <c>deploy</c> and <c>info</c>.</summary>
internal static class AppRendering
{
    public static void WriteRoutes(IReadOnlyList<RouteInfo> routes, CliOutput cli)
    {
        cli.WriteLine();
        cli.WriteHeading("Routes");
        if (routes.Count == 0)
        {
            cli.WriteLine("  (none: no function has an http or httpApi event)");
            return;
        }

        var table = new TextTable();
        foreach (var route in routes)
        {
            table.AddRow(route.Method, route.Url, "→ " + route.Function);
        }

        cli.WriteTable(table);
    }

    public static void WriteFunctions(IReadOnlyList<FunctionInfo> functions, CliOutput cli)
    {
        cli.WriteLine();
        cli.WriteHeading("Functions");
        var table = new TextTable("NAME", "RUNTIME", "KIND", "HANDLER", "MEMORY", "TIMEOUT", "INSTANCES");
        foreach (var function in functions)
        {
            table.AddRow(
                function.Name,
                function.Runtime,
                function.Kind,
                function.Handler ?? "-",
                $"{function.MemorySize} MB",
                $"{function.Timeout} s",
                function.Instances.ToString(CultureInfo.InvariantCulture));
        }

        cli.WriteTable(table);
    }

    /// <summary>A timestamp in the viewer's time zone, to the second.</summary>
    public static string FormatTime(DateTimeOffset time)
        => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
