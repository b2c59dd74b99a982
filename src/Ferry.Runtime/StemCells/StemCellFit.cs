using Ferry.Runtime.Sandbox;

namespace Ferry.Runtime.StemCells;

/// <summary>
/// Whether a stem cell can become a given function. A cell is a runtime already started in a private network, with
/// no extra mounts, no bridges but the shared ones (the AWS-compatible endpoints) and a generic environment: a function that needs anything a running process cannot
/// be given afterwards gets a normal cold start instead.
/// </summary>
public static class StemCellFit
{
    /// <summary>Why no stem cell can become <paramref name="function"/>, or null when one can.</summary>
    /// <param name="cellEnvironment">The environment cells start with.</param>
    /// <param name="cellServices">The host services cells have bridges to; a function using only these fits.</param>
    public static string? Mismatch(FunctionRevision function, IReadOnlyDictionary<string, string> cellEnvironment,
        IReadOnlyCollection<HostServiceBridge>? cellServices = null)
    {
        if (StemCellFamily.Of(function.Function) is not { } family)
        {
            return $"runtime '{function.Function.Runtime}' has no stem cells (only Node.js and Python event functions, and web functions)";
        }

        if (function.Function.Image is not null)
        {
            return "the function runs from an OCI image, not from Ferry's runtime loop";
        }

        if (function.Function.OutboundNetwork)
        {
            return "the function has outbound network; stem cells start in a private network";
        }

        if (function.Resources.Bridges().Any(bridge => cellServices?.Contains(bridge) != true) || function.Resources.Mounts.Count > 0)
        {
            return "the function uses resource services or data folders; a stem cell has neither bridges nor mounts for them";
        }

        if (family.IsWeb)
        {
            // The command is exec'd with the function's whole environment: nothing was read before it is known.
            return WebCellLaunch.Mismatch(function.Function.Command, function.Function.Environment);
        }

        foreach (var (name, value) in function.Resources.Environment.Concat(function.Function.Environment))
        {
            if (IsReadAtProcessStart(name) && (!cellEnvironment.TryGetValue(name, out var cellValue) || cellValue != value))
            {
                return $"the function sets {name}, which the runtime reads only when it starts";
            }
        }

        return null;
    }

    /// <summary>
    /// Variables the interpreter, the dynamic loader or libc read once at process start (so a running cell cannot
    /// take a new value). TZ is not among them: both runtime loops re-read it when they take their identity.
    /// </summary>
    public static bool IsReadAtProcessStart(string name) =>
        name is "LANG" or "LANGUAGE" or "GLIBC_TUNABLES"
        || StartsWithAny(name, "LC_", "LD_", "MALLOC_", "NODE_", "UV_", "PYTHON", "OPENSSL_", "SSL_CERT_");

    private static bool StartsWithAny(string name, params ReadOnlySpan<string> prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
