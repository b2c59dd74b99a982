using System.CommandLine;
using Ferry.Cli.Options;
using Ferry.Server;
using Ferry.Store.Postgres;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry server</c>: runs the API, the gateway and the function instances until Ctrl+C.</summary>
internal static class ServerCommand
{
    public const string DataVariable = "FERRY_DATA";
    public const string StoreVariable = "FERRY_STORE";
    public const string DatabaseServerVariable = "FERRY_DATABASE_SERVER";
    public const string DefaultDataDirectory = ".ferry-data";

    public static Command Create(CliContext context)
    {
        var urls = new Option<string[]>("--urls")
        {
            Description = $"URL(s) to listen on, separated by ';' or repeated; the first is the public base URL (default {GlobalOptions.DefaultServerUrl})",
            HelpName = "url",
            Arity = ArgumentArity.ZeroOrMore,
        };
        urls.Validators.Add(result =>
        {
            foreach (var url in SplitUrls(result.Tokens.Select(token => token.Value)))
            {
                if (!IsHttpUrl(url))
                {
                    result.AddError($"--urls '{url}' is not an absolute http:// or https:// URL.");
                }
            }
        });
        var data = new Option<string?>("--data")
        {
            Description = $"Folder for the database, artifacts and revisions (default: ${DataVariable}, else ./{DefaultDataDirectory})",
            HelpName = "dir",
        };
        var store = new Option<string?>("--store")
        {
            Description = $"Where the control-plane store lives: postgres://user:password@host:port/database or an Npgsql connection string (default: ${StoreVariable}, else SQLite in the data folder)",
            HelpName = "url",
        };
        store.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && ValidateStore(result.Tokens[^1].Value) is { } error)
            {
                result.AddError($"--store: {error}");
            }
        });
        var databaseServer = new Option<string?>("--database-server")
        {
            Description = "PostgreSQL server for apps' databases (postgres://user:password@host:port/database or an Npgsql connection string of a role with CREATEDB and CREATEROLE); each app stage gets a database and a role of its own (default: $FERRY_DATABASE_SERVER, else a SQLite file per database in the data folder)",
            HelpName = "url",
        };
        databaseServer.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && ValidateStore(result.Tokens[^1].Value) is { } error)
            {
                result.AddError($"--database-server: {error}");
            }
        });
        var bucketEndpoint = new Option<string?>("--bucket-endpoint")
        {
            Description = "Loopback URL the S3-compatible bucket endpoint listens on (default: http://127.0.0.1:0, a free port; `ferry info` shows it)",
            HelpName = "url",
        };
        bucketEndpoint.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !(Uri.TryCreate(result.Tokens[^1].Value, UriKind.Absolute, out var uri) && uri.Scheme == "http" && uri.IsLoopback))
            {
                result.AddError("--bucket-endpoint must be an http:// URL on a loopback address, e.g. http://127.0.0.1:9000");
            }
        });
        var stemCells = new Option<int?>("--stem-cells")
        {
            Description = "Pre-started Node/Python runtimes kept ready per runtime at the least, taken over by cold starts (default 1; 0 turns them off)",
            HelpName = "count",
        };
        stemCells.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0 or > 16)
            {
                result.AddError("--stem-cells must be between 0 and 16.");
            }
        });
        var stemCellsMax = new Option<int?>("--stem-cells-max")
        {
            Description = "Most stem cells per runtime when cold starts come in bursts; the pool grows with demand and shrinks back to --stem-cells (default 10)",
            HelpName = "count",
        };
        stemCellsMax.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0 or > 64)
            {
                result.AddError("--stem-cells-max must be between 0 and 64.");
            }
        });
        var stemCellMemory = new Option<int?>("--stem-cell-memory-mb")
        {
            Description = "Memory all waiting stem cells may take together, MB; the --stem-cells floor is always kept (default 512)",
            HelpName = "MB",
        };
        stemCellMemory.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0 or > 1_048_576)
            {
                result.AddError("--stem-cell-memory-mb must be between 0 and 1048576.");
            }
        });
        var stemCellRefills = new Option<int?>("--stem-cell-refills")
        {
            Description = "Stem cells started at the same time at most, so refilling does not take every core from a burst (default: half the cores)",
            HelpName = "count",
        };
        stemCellRefills.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > 64)
            {
                result.AddError("--stem-cell-refills must be between 1 and 64.");
            }
        });
        var stemCellDecay = new Option<string?>("--stem-cell-decay")
        {
            Description = "Half-life of the stem cell demand: how fast the pool shrinks back after a burst, e.g. 30s or 5m (default 1m)",
            HelpName = "duration",
        };
        stemCellDecay.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !(DurationParser.TryParseDuration(result.Tokens[^1].Value, out var decay) && decay >= TimeSpan.FromSeconds(1) && decay <= TimeSpan.FromDays(1)))
            {
                result.AddError("--stem-cell-decay must be a duration between 1s and 1d, like 30s or 5m.");
            }
        });
        var maxInstancesPerFunction = new Option<int?>("--max-instances-per-function")
        {
            Description = $"Instances one function may run at once unless its manifest sets maxInstances/reservedConcurrency (default 10, at most {Ferry.Manifest.FunctionScaling.MaxInstancesLimit})",
            HelpName = "count",
        };
        maxInstancesPerFunction.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > Ferry.Manifest.FunctionScaling.MaxInstancesLimit)
            {
                result.AddError($"--max-instances-per-function must be between 1 and {Ferry.Manifest.FunctionScaling.MaxInstancesLimit}.");
            }
        });
        var logRetention = new Option<string?>("--log-retention")
        {
            Description = "Delete log lines and invocation records older than this, e.g. 7d or 36h (default 7d); usage totals are kept",
            HelpName = "duration",
        };
        logRetention.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !(DurationParser.TryParseDuration(result.Tokens[^1].Value, out var retention) && retention >= TimeSpan.FromHours(1)))
            {
                result.AddError("--log-retention must be a duration of at least 1h, like 7d, 36h or 2w.");
            }
        });
        var defaultInstances = QuotaDefault<int>("--default-quota-instances", "count", "Instances a tenant may run at once, warm minimums included (default 20)");
        var defaultMemory = QuotaDefault<int>("--default-quota-memory-mb", "MB", "Σ memorySize of a tenant's running instances, MB (default 20480)");
        var defaultStorage = QuotaDefault<long>("--default-quota-storage-mb", "MB", "A tenant's buckets and database folders, MB (default 10240)");
        var defaultLogs = QuotaDefault<long>("--default-quota-log-mb", "MB", "Log volume a tenant may store per UTC day, MB (default 200)");
        var coldRedeploys = new Option<bool>("--cold-redeploys")
        {
            Description = "Start a new revision with no instances instead of as many as the live revision runs (a deploy then switches traffic to cold starts; the cold-start benchmarks use it)",
        };
        var redeployShift = new Option<string?>("--redeploy-shift")
        {
            Description = "How long a redeploy takes to move a busy function's traffic to the new revision, e.g. 1s or 5s; 0s switches at once (default 1s)",
            HelpName = "duration",
        };
        redeployShift.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !TryParseRedeployShift(result.Tokens[^1].Value, out _))
            {
                result.AddError("--redeploy-shift must be a duration of at most 10m, like 1s or 30s (0s: switch at once).");
            }
        });
        var pooledIo = new Option<bool>("--pooled-io")
        {
            Description = "Hand every step of a function request to the thread pool instead of serving it on the thread that read its socket (slower; the control plane is on the pool either way)",
        };
        var insecure = new Option<bool>("--insecure-no-sandbox")
        {
            Description = "Run functions as plain processes when bubblewrap is missing (unsafe: functions can read your files)",
        };

        var allowPrivateHubs = new Option<bool>("--allow-private-hubs")
        {
            Description = "Let consumers add hubs on loopback, link-local or private addresses (by default only admins may)",
        };

        var tlsCertificates = new Option<string?>("--tls-cert")
        {
            Description = "Folder of PEM certificates for https:// --urls, chosen by SNI: HOST.pem + HOST.key, *.PARENT.pem, default.pem; replaced files are used from the next handshake (default: DATA/certs)",
            HelpName = "dir",
        };

        var command = new Command("server", "Run the Ferry server (REST API, HTTP gateway and function instances) until Ctrl+C")
        {
            urls, data, store, databaseServer, bucketEndpoint, insecure, stemCells, stemCellsMax, stemCellMemory, stemCellRefills, stemCellDecay,
            maxInstancesPerFunction, logRetention, coldRedeploys, redeployShift, pooledIo,
            defaultInstances, defaultMemory, defaultStorage, defaultLogs, allowPrivateHubs, tlsCertificates,
        };
        command.SetReportingAction(context, (parseResult, cancellationToken) =>
        {
            var options = BuildOptions(
                context,
                parseResult.GetValue(urls) ?? [],
                parseResult.GetValue(data),
                parseResult.GetValue(insecure),
                parseResult.GetValue(store));
            if (parseResult.GetValue(coldRedeploys))
            {
                options = options with { WarmRedeploys = false };
            }

            if (parseResult.GetValue(redeployShift) is { Length: > 0 } shiftText && TryParseRedeployShift(shiftText, out var shift))
            {
                options = options with { RedeployTrafficShift = shift };
            }

            if (parseResult.GetValue(pooledIo))
            {
                options = options with { InlineIo = false };
            }

            if (parseResult.GetValue(allowPrivateHubs))
            {
                options = options with { AllowPrivateHubs = true };
            }

            if (parseResult.GetValue(tlsCertificates) is { Length: > 0 } certificates)
            {
                options = options with { TlsCertificateDirectory = context.ResolvePath(certificates) };
            }

            if (parseResult.GetValue(stemCells) is { } cells)
            {
                options = options with { StemCellsPerRuntime = cells };
            }

            if (parseResult.GetValue(stemCellsMax) is { } cellsMax)
            {
                options = options with { StemCellsMaxPerRuntime = cellsMax };
            }

            if (parseResult.GetValue(stemCellMemory) is { } cellMemory)
            {
                options = options with { StemCellMemoryBudgetMb = cellMemory };
            }

            if (parseResult.GetValue(stemCellRefills) is { } refills)
            {
                options = options with { StemCellRefillConcurrency = refills };
            }

            if (parseResult.GetValue(stemCellDecay) is { Length: > 0 } decayText && DurationParser.TryParseDuration(decayText, out var decaySpan))
            {
                options = options with { StemCellDemandHalfLife = decaySpan };
            }

            if (parseResult.GetValue(maxInstancesPerFunction) is { } instances)
            {
                options = options with { MaxInstancesPerFunction = instances };
            }

            var databases = parseResult.GetValue(databaseServer) is { Length: > 0 } fromOption ? fromOption
                : context.Environment(DatabaseServerVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
                : null;
            if (databases is not null)
            {
                if (ValidateStore(databases) is { } databaseError)
                {
                    throw new FormatException($"${DatabaseServerVariable}: {databaseError}");
                }

                options = options with { DatabaseServer = PostgresAddress.Parse(databases).ConnectionString };
            }

            if (parseResult.GetValue(bucketEndpoint) is { Length: > 0 } endpoint)
            {
                options = options with { BucketEndpointUrl = endpoint };
            }

            if (parseResult.GetValue(logRetention) is { Length: > 0 } retention && DurationParser.TryParseDuration(retention, out var retentionSpan))
            {
                options = options with { LogRetention = retentionSpan };
            }

            var quota = options.DefaultQuota;
            quota = parseResult.GetValue(defaultInstances) is { } maxInstances ? quota with { MaxInstances = maxInstances } : quota;
            quota = parseResult.GetValue(defaultMemory) is { } maxMemory ? quota with { MaxMemoryMb = maxMemory } : quota;
            quota = parseResult.GetValue(defaultStorage) is { } maxStorage ? quota with { MaxStorageMb = maxStorage } : quota;
            quota = parseResult.GetValue(defaultLogs) is { } maxLogs ? quota with { MaxLogMbPerDay = maxLogs } : quota;
            options = options with { DefaultQuota = quota };

            return FerryServerHost.RunAsync(options, cancellationToken);
        });
        return command;
    }

    /// <summary>A <c>--redeploy-shift</c>: a duration of at most 10 minutes, or a bare 0 (switch at once).</summary>
    private static bool TryParseRedeployShift(string text, out TimeSpan shift)
    {
        if (text == "0")
        {
            shift = TimeSpan.Zero;
            return true;
        }

        return DurationParser.TryParseDuration(text, out shift) && shift <= TimeSpan.FromMinutes(10);
    }

    private static Option<T?> QuotaDefault<T>(string name, string helpName, string description)
        where T : struct, System.Numerics.INumber<T>
    {
        var option = new Option<T?>(name) { Description = description + "; per tenant: ferry tenant quota set", HelpName = helpName };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T?>() is { } value && T.IsNegative(value))
            {
                result.AddError($"{name} must be 0 or more.");
            }
        });
        return option;
    }

    /// <summary>Resolves the command's options against the environment and working directory.</summary>
    /// <param name="store">The <c>--store</c> value; null: <c>$FERRY_STORE</c>, else SQLite in the data folder.</param>
    /// <exception cref="FormatException">The store setting is not usable (the message never shows its password).</exception>
    public static FerryServerOptions BuildOptions(CliContext context, IReadOnlyList<string> urls, string? dataDirectory, bool insecureNoSandbox,
        string? store = null)
    {
        var storeSetting = !string.IsNullOrWhiteSpace(store) ? store
            : context.Environment(StoreVariable) is { Length: > 0 } storeFromEnvironment ? storeFromEnvironment
            : null;
        if (storeSetting is not null && ValidateStore(storeSetting) is { } storeError)
        {
            throw new FormatException($"{(store is null ? "$" + StoreVariable : "--store")}: {storeError}");
        }

        var listen = SplitUrls(urls).ToList();
        var data = !string.IsNullOrWhiteSpace(dataDirectory) ? dataDirectory
            : context.Environment(DataVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultDataDirectory;
        return new FerryServerOptions
        {
            Urls = listen.Count > 0 ? listen : [GlobalOptions.DefaultServerUrl],
            DataDirectory = context.ResolvePath(data),
            InsecureNoSandbox = insecureNoSandbox,
            Store = storeSetting,
        };
    }

    /// <summary>Why a store setting is unusable, or null when it is fine. Never repeats the setting (it holds a password).</summary>
    private static string? ValidateStore(string setting)
    {
        try
        {
            PostgresAddress.Parse(setting);
            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    private static IEnumerable<string> SplitUrls(IEnumerable<string> values)
        => values.SelectMany(value => value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Kestrel also accepts <c>*</c> and <c>+</c> as "any address" hosts.</summary>
    private static bool IsHttpUrl(string text)
    {
        var normalized = text.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);
    }
}
