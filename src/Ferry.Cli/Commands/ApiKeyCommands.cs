using System.CommandLine;
using Ferry.Cli.Api;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry apikey create|list|revoke</c>: API keys of a deployed app stage. Requests to its <c>private: true</c> routes
/// need one in an <c>x-api-key</c> header, as on API Gateway.
/// </summary>
internal static class ApiKeyCommands
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        return new Command("apikey", "Manage the API keys of an app: requests to its 'private: true' routes need one in an x-api-key header")
        {
            CreateCommand(context, globals), ListCommand(context, globals), RevokeCommand(context, globals),
        };
    }

    private static AppTargetOptions Target()
    {
        var target = new AppTargetOptions();
        target.Service.Aliases.Add("--app");
        return target;
    }

    private static string KeysPath(AppTarget app, string suffix = "") =>
        FerryApiClient.AppPath(app, "/api-keys" + suffix)[FerryApiClient.ApiPrefix.Length..];

    private static Command CreateCommand(CliContext context, GlobalOptions globals)
    {
        var target = Target();
        var name = new Argument<string>("name") { Description = "A name for the key, e.g. 'partner-a'" };
        var value = new Option<string?>("--value")
        {
            Description = "The key itself (20-128 printable characters); by default Ferry generates one",
        };
        var output = CommonOptions.Output();
        var command = new Command("create", "Create an API key for an app; the key is printed once") { name, value, output };
        target.AddTo(command);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            using var client = globals.CreateClient(parseResult, context);
            var created = await client.PostJsonAsync<CreateApiKeyRequest, CreatedApiKey>(
                KeysPath(app), new CreateApiKeyRequest(parseResult.GetValue(name)!, parseResult.GetValue(value)), cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(created);
            }
            else
            {
                if (created.Value is not null)
                {
                    cli.WriteLine(created.Value);
                }

                cli.WriteNote(created.Value is null
                    ? $"Created API key '{created.Name}' for {app}."
                    : $"API key '{created.Name}' for {app}. Store it now: it is not shown again. Send it as the x-api-key header.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListCommand(CliContext context, GlobalOptions globals)
    {
        var target = Target();
        var output = CommonOptions.Output();
        var command = new Command("list", "List the API keys of an app (names and first characters; keys are not shown again)") { output };
        target.AddTo(command);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            using var client = globals.CreateClient(parseResult, context);
            var keys = await client.GetJsonAsync<List<ApiKeyInfo>>(KeysPath(app), cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(keys);
                return ExitCodes.Success;
            }

            var table = new TextTable("NAME", "PREFIX", "CREATED");
            foreach (var key in keys)
            {
                table.AddRow(key.Name, key.Prefix + "…", AppRendering.FormatTime(key.CreatedAt));
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RevokeCommand(CliContext context, GlobalOptions globals)
    {
        var target = Target();
        var name = new Argument<string>("name") { Description = "The key's name (see `ferry apikey list`)" };
        var command = new Command("revoke", "Delete an API key of an app; requests with it are refused from now on") { name };
        target.AddTo(command);
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var app = target.Resolve(parseResult, context);
            using var client = globals.CreateClient(parseResult, context);
            var keyName = parseResult.GetValue(name)!;
            await client.DeleteAsync(KeysPath(app, "/" + Uri.EscapeDataString(keyName)), cancellationToken);
            context.Out.WriteLine($"Revoked API key '{keyName}' of {app}.");
            return ExitCodes.Success;
        });
        return command;
    }
}
