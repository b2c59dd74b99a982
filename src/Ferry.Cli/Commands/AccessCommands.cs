using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry whoami</c>, <c>ferry tenant create|list</c>, <c>ferry token create|list|revoke</c>.</summary>
internal static class AccessCommands
{
    public static Command WhoAmI(CliContext context, GlobalOptions globals)
    {
        var output = CommonOptions.Output();
        var command = new Command("whoami", "Show the tenant and roles of the token in FERRY_TOKEN") { output };
        command.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var me = await client.GetJsonAsync<WhoAmI>("whoami", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(me);
            }
            else
            {
                cli.WriteLine($"tenant {me.Tenant}, roles {string.Join(", ", me.Roles)} (token '{me.TokenName}')");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Tenant(CliContext context, GlobalOptions globals)
    {
        var name = new Argument<string>("name") { Description = "Tenant name: lowercase letters, digits and '-'" };
        var create = new Command("create", "Create a tenant (admin)") { name };
        create.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var tenant = await client.PostJsonAsync<CreateTenantRequest, TenantInfo>("tenants", new CreateTenantRequest(parseResult.GetValue(name)!), cancellationToken);
            context.Out.WriteLine($"Created tenant {tenant.Name}. Give it a token with: ferry token create --tenant {tenant.Name} --role consumer --name NAME");
            return ExitCodes.Success;
        });

        var output = CommonOptions.Output();
        var list = new Command("list", "List tenants (admin)") { output };
        list.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var tenants = await client.GetJsonAsync<List<TenantInfo>>("tenants", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(output));
            if (cli.IsJson)
            {
                cli.WriteJson(tenants);
                return ExitCodes.Success;
            }

            var table = new TextTable("TENANT", "CREATED");
            foreach (var tenant in tenants)
            {
                table.AddRow(tenant.Name, AppRendering.FormatTime(tenant.CreatedAt));
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });

        return new Command("tenant", "Manage tenants (workspaces that own apps, logs and usage)") { create, list, QuotaCommands.Quota(context, globals) };
    }

    public static Command Token(CliContext context, GlobalOptions globals)
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant the token acts for", Required = true };
        var role = new Option<string[]>("--role")
        {
            Description = "Role(s): admin, provider, reviewer, consumer (repeat for several)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var tokenName = new Option<string>("--name") { Description = "What the token is for, e.g. 'ci' or 'alice laptop'", Required = true };
        var createOutput = CommonOptions.Output();
        var create = new Command("create", "Create an API token (admin); the secret is printed once") { tenant, role, tokenName, createOutput };
        create.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var request = new CreateTokenRequest(parseResult.GetValue(tenant)!, parseResult.GetValue(tokenName)!, parseResult.GetValue(role)!);
            var created = await client.PostJsonAsync<CreateTokenRequest, CreatedToken>("tokens", request, cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(createOutput));
            if (cli.IsJson)
            {
                cli.WriteJson(created);
            }
            else
            {
                cli.WriteLine(created.Token);
                cli.WriteNote($"Token {created.Info.Id} for tenant {created.Info.Tenant} ({string.Join(", ", created.Info.Roles)}). Store it now: it is not shown again. Use it as FERRY_TOKEN.");
            }

            return ExitCodes.Success;
        });

        var listOutput = CommonOptions.Output();
        var list = new Command("list", "List tokens (admins see every tenant's)") { listOutput };
        list.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var tokens = await client.GetJsonAsync<List<TokenInfo>>("tokens", cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(listOutput));
            if (cli.IsJson)
            {
                cli.WriteJson(tokens);
                return ExitCodes.Success;
            }

            var table = new TextTable("ID", "TENANT", "NAME", "ROLES", "PREFIX", "CREATED", "REVOKED");
            foreach (var token in tokens)
            {
                table.AddRow(token.Id.ToString(CultureInfo.InvariantCulture), token.Tenant, token.Name, string.Join(",", token.Roles), token.Prefix + "…",
                    AppRendering.FormatTime(token.CreatedAt), token.RevokedAt is { } revoked ? AppRendering.FormatTime(revoked) : "-");
            }

            cli.WriteTable(table);
            return ExitCodes.Success;
        });

        var id = new Argument<long>("id") { Description = "Token id (see `ferry token list`)" };
        var revoke = new Command("revoke", "Revoke a token (admin)") { id };
        revoke.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            await client.DeleteAsync($"tokens/{parseResult.GetValue(id)}", cancellationToken);
            context.Out.WriteLine($"Revoked token {parseResult.GetValue(id)}.");
            return ExitCodes.Success;
        });

        var keyOutput = CommonOptions.Output();
        var accessKey = new Command("access-key",
            "Create an AWS-style access key that acts as the token in FERRY_TOKEN, for AWS SDKs calling Ferry's Lambda Invoke API (SigV4)")
            { keyOutput };
        accessKey.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var key = await client.PostJsonAsync<object?, CreatedAccessKey>("access-keys", null, cancellationToken);
            var cli = new CliOutput(context, parseResult.GetValue(keyOutput));
            if (cli.IsJson)
            {
                cli.WriteJson(key);
            }
            else
            {
                cli.WriteLine($"AWS_ACCESS_KEY_ID={key.AccessKeyId}");
                cli.WriteLine($"AWS_SECRET_ACCESS_KEY={key.SecretAccessKey}");
                cli.WriteNote("Store the secret now: it is not shown again. It stops working when its token is revoked.");
            }

            return ExitCodes.Success;
        });

        return new Command("token", "Manage API tokens") { create, list, revoke, accessKey };
    }
}
