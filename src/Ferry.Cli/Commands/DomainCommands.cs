using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry domain add|list|remove</c>: custom domains. A request whose Host is a bound domain reaches the app stage at
/// its own paths (<c>https://api.example.com/users</c>), beside its <c>/{service}/{stage}/…</c> URL.
/// </summary>
internal static class DomainCommands
{
    private const string DomainsPath = "domains";

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        return new Command("domain", "Serve an app at a custom domain's / (by Host header), with TLS certificates from the server's certificate folder")
        {
            AddCommand(context, globals), ListCommand(context, globals), RemoveCommand(context, globals),
        };
    }

    private static Command AddCommand(CliContext context, GlobalOptions globals)
    {
        var target = new AppTargetOptions();
        target.Service.Aliases.Add("--app");
        var host = new Argument<string>("host") { Description = "The host name, e.g. api.example.com, or *.example.com for every name one label below" };
        var prefix = new Option<string?>("--path-prefix")
        {
            Description = "Where on the host the app is mounted (default /: the whole host); e.g. /v1 serves /v1/users as the app's /users",
            HelpName = "path",
        };
        var output = CommonOptions.Output();
        var command = new Command("add", "Bind a host to an app stage of yours; requests with that Host header reach the app at its own paths")
        {
            host, prefix, output,
        };
        target.AddTo(command);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            using var client = globals.CreateClient(parseResult, context);
            var bound = await client.PostJsonAsync<BindDomainRequest, DomainInfo>(DomainsPath,
                new BindDomainRequest(parseResult.GetValue(host)!, app.Service, app.Stage, app.Region, parseResult.GetValue(prefix)), cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(bound);
            }
            else
            {
                cli.WriteLine($"{bound.Url} now serves {app}.");
                cli.WriteNote($"Point {bound.Host}'s DNS at this server; for HTTPS put {bound.Host}.pem and {bound.Host}.key in the server's certificate folder (docs/domains.md).");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListCommand(CliContext context, GlobalOptions globals)
    {
        var output = CommonOptions.Output();
        var command = new Command("list", "List the custom domains of your apps") { output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var domains = await client.GetJsonAsync<List<DomainInfo>>(DomainsPath, cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(domains);
                return ExitCodes.Success;
            }

            var table = new TextTable("HOST", "PATH", "APP", "STAGE", "REGION", "FROM", "URL");
            foreach (var domain in domains)
            {
                table.AddRow(domain.Host, domain.BasePath, domain.Service, domain.Stage, domain.Region,
                    domain.Source == "manifest" ? "serverless.yml" : "cli", domain.Url);
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RemoveCommand(CliContext context, GlobalOptions globals)
    {
        var host = new Argument<string>("host") { Description = "The bound host (see `ferry domain list`)" };
        var prefix = new Option<string?>("--path-prefix")
        {
            Description = "Remove only the binding at this path (default: every binding of the host)",
            HelpName = "path",
        };
        var command = new Command("remove", "Unbind a host; requests to it are no longer served (the app keeps its other URLs)") { host, prefix };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var name = parseResult.GetValue(host)!;
            var path = parseResult.GetValue(prefix);
            using var client = globals.CreateClient(parseResult, context);
            var query = path is null ? "" : "?basePath=" + Uri.EscapeDataString(path);
            await client.DeleteAsync($"{DomainsPath}/{Uri.EscapeDataString(name)}{query}", cancellationToken);
            context.Out.WriteLine($"Removed the custom domain {name}{(path is null or "/" ? "" : path)}.");
            return ExitCodes.Success;
        });
        return command;
    }
}
