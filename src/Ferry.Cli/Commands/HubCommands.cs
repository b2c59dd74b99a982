using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry hub add | list</c>: the template hubs this server installs from.</summary>
internal static class HubCommands
{
    private const string Description = """
        Manage the template hubs this server installs from ("local" is the server itself)

        Examples:
          ferry hub add acme https://hub.acme.test --token "$ACME_HUB_TOKEN"
          ferry hub list
          ferry app install image-resizer --hub acme
        """;

    public static Command Create(CliContext context, GlobalOptions globals) => new("hub", Description)
    {
        Add(context, globals),
        List(context, globals),
    };

    private static Command Add(CliContext context, GlobalOptions globals)
    {
        var name = new Argument<string>("name") { Description = "Name to refer to the hub by (--hub NAME)" };
        var url = new Argument<string>("url") { Description = "The hub's Ferry server URL" };
        url.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
            {
                result.AddError($"'{text}' is not an absolute http:// or https:// URL.");
            }
        });
        var token = new Option<string>("--token") { Description = "Installer token from the hub (ferry token create --role installer on the hub): lets this server read its catalog and download packages", HelpName = "token", Required = true };
        var command = new Command("add", "Add a hub this server can install templates from (admin)") { name, url, token };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var request = new AddHubRequest(parseResult.GetValue(name)!, parseResult.GetValue(url)!, parseResult.GetValue(token)!);
            var hub = await client.PostJsonAsync<AddHubRequest, HubInfo>("hubs", request, cancellationToken);
            context.Out.WriteLine($"Added hub {hub.Name} ({hub.Url}). Install from it with: ferry app install TEMPLATE --hub {hub.Name}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context, GlobalOptions globals)
    {
        var output = CommonOptions.Output();
        var command = new Command("list", "List the hubs this server installs from") { output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var hubs = await client.GetJsonAsync<List<HubInfo>>("hubs", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(hubs);
                return ExitCodes.Success;
            }

            var table = new TextTable("NAME", "URL");
            foreach (var hub in hubs)
            {
                table.AddRow(hub.Name, hub.Url);
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });
        return command;
    }
}
