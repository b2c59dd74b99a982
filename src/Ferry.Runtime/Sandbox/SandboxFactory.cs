using Microsoft.Extensions.Logging;

namespace Ferry.Runtime.Sandbox;

/// <summary>Chooses how functions are isolated on this machine.</summary>
public static class SandboxFactory
{
    public const string BubblewrapMissingMessage =
        "bubblewrap (bwrap) was not found on PATH; install it with `apt-get install bubblewrap`, " +
        "or start the server with --insecure-no-sandbox to run functions without isolation (unsafe)";

    /// <summary>
    /// bubblewrap with cgroups; or, when <paramref name="insecureNoSandbox"/> is set, plain host processes (still in cgroups).
    /// </summary>
    /// <exception cref="SandboxStartException">bwrap is not installed and running without a sandbox was not asked for.</exception>
    /// <param name="sandboxUsersFile">Where each tenant's sandbox uid is recorded (see <see cref="SandboxUsers"/>); null: in memory.</param>
    public static ISandbox Create(bool insecureNoSandbox, ILoggerFactory loggerFactory, string? sandboxUsersFile = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var cgroups = CgroupHost.Detect(loggerFactory.CreateLogger<CgroupHost>());
        ISandbox sandbox;
        if (insecureNoSandbox)
        {
            sandbox = new UnsandboxedProcessSandbox(cgroups, loggerFactory.CreateLogger<UnsandboxedProcessSandbox>());
            loggerFactory.CreateLogger(typeof(SandboxFactory)).LogWarning(
                "Functions run WITHOUT a sandbox (--insecure-no-sandbox): any function can read and change everything Ferry can");
        }
        else
        {
            var bwrap = BubblewrapSandbox.TryFind() ?? throw new SandboxStartException(BubblewrapMissingMessage);
            sandbox = new BubblewrapSandbox(bwrap, cgroups, loggerFactory.CreateLogger<BubblewrapSandbox>(), new SandboxUsers(sandboxUsersFile));
        }

        loggerFactory.CreateLogger(typeof(SandboxFactory)).LogInformation("Sandbox: {Sandbox}", sandbox.Description);
        return sandbox;
    }
}
