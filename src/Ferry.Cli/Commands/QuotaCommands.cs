using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Options;
using Ferry.Cli.Output;
using Ferry.Server.Api;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry tenant quota show|set TENANT</c> (admins).</summary>
internal static class QuotaCommands
{
    public static Command Quota(CliContext context, GlobalOptions globals)
    {
        var showTenant = new Argument<string>("tenant") { Description = "Tenant name" };
        var showOutput = CommonOptions.Output();
        var show = new Command("show", "Show a tenant's quotas and what it uses now (admin)") { showTenant, showOutput };
        show.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            using var client = globals.CreateClient(parseResult, context);
            var info = await client.GetJsonAsync<TenantQuotaInfo>(QuotaPath(parseResult.GetValue(showTenant)!), cancellationToken);
            Render(new CliOutput(context, parseResult.GetValue(showOutput)), info);
            return ExitCodes.Success;
        });

        var setTenant = new Argument<string>("tenant") { Description = "Tenant name" };
        var instances = new Option<int?>("--instances") { Description = "Instances running at once over all the tenant's functions (warm minimums included)", HelpName = "count" };
        var memory = new Option<int?>("--memory-mb") { Description = "Σ memorySize of the tenant's running instances, MB", HelpName = "MB" };
        var storage = new Option<long?>("--storage-mb") { Description = "Bytes in the tenant's buckets and database folders, MB", HelpName = "MB" };
        var logs = new Option<long?>("--log-mb") { Description = "Log volume stored per UTC day, MB (further lines are dropped)", HelpName = "MB" };
        var outbound = new Option<bool?>("--allow-outbound-network")
        {
            Description = "Whether the tenant's functions may declare outboundNetwork: true (true|false)",
            HelpName = "true|false",
            Arity = ArgumentArity.ExactlyOne,
        };
        var setOutput = CommonOptions.Output();
        var set = new Command("set", "Change a tenant's quotas (admin); values not given stay as they are") { setTenant, instances, memory, storage, logs, outbound, setOutput };
        set.SetReportingAction(context, async (parseResult, cancellationToken) =>
        {
            var request = new SetTenantQuotaRequest(parseResult.GetValue(instances), parseResult.GetValue(memory), parseResult.GetValue(storage),
                parseResult.GetValue(logs), parseResult.GetValue(outbound));
            if (request == new SetTenantQuotaRequest())
            {
                throw new CliUserException("Give at least one of --instances, --memory-mb, --storage-mb, --log-mb, --allow-outbound-network");
            }

            using var client = globals.CreateClient(parseResult, context);
            var info = await client.PutJsonAsync<SetTenantQuotaRequest, TenantQuotaInfo>(QuotaPath(parseResult.GetValue(setTenant)!), request, cancellationToken);
            Render(new CliOutput(context, parseResult.GetValue(setOutput)), info);
            return ExitCodes.Success;
        });

        return new Command("quota", "Show or change a tenant's quotas: instances, memory, storage, log volume, outbound network") { show, set };
    }

    private static string QuotaPath(string tenant) => $"tenants/{Uri.EscapeDataString(tenant)}/quota";

    private static void Render(CliOutput cli, TenantQuotaInfo info)
    {
        if (cli.IsJson)
        {
            cli.WriteJson(info);
            return;
        }

        var table = new TextTable("QUOTA", "LIMIT", "USED", "");
        foreach (var quota in info.Quotas)
        {
            table.AddRow(quota.Name, $"{quota.Limit.ToString(CultureInfo.InvariantCulture)} {quota.Unit}",
                quota.Used.ToString(CultureInfo.InvariantCulture), quota.IsDefault ? "(default)" : "");
        }

        table.AddRow("outbound network", info.AllowOutboundNetwork ? "allowed" : "not allowed", "", info.AllowOutboundNetworkIsDefault ? "(default)" : "");
        cli.WriteLine($"tenant {info.Tenant}");
        cli.WriteTable(table);
        cli.WriteNote(info.StorageMeasuredAt is { } measured
            ? $"Storage was measured at {AppRendering.FormatTime(measured)}; instances and memory are what this server runs now."
            : "Storage has not been measured yet; instances and memory are what this server runs now.");
    }
}
