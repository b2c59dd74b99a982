namespace Ferry.Packaging.Frameworks;

/// <summary>
/// The environment of a sandboxed build: what package managers need from the developer's (PATH, locale, proxies,
/// certificates, npm/pip/composer settings), never the rest (tokens, cloud credentials, SSH agents).
/// </summary>
public static class BuildEnvironment
{
    /// <summary>Passed on when set.</summary>
    public static readonly IReadOnlySet<string> PassedNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ",
        "http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "PYENV_ROOT", "PYENV_VERSION", "NVM_DIR", "NVM_BIN", "VIRTUAL_ENV",
    };

    /// <summary>Package managers' settings; passed on when set.</summary>
    public static readonly IReadOnlyList<string> PassedPrefixes = ["npm_config_", "NPM_CONFIG_", "PIP_", "COMPOSER_", "YARN_", "UV_"];

    /// <summary>Where the build's HOME is decided, so these are never taken from the developer's environment.</summary>
    private static readonly IReadOnlySet<string> Refused = new HashSet<string>(StringComparer.Ordinal)
    {
        "HOME", "TMPDIR", "COMPOSER_HOME", "COMPOSER_CACHE_DIR", "NPM_CONFIG_CACHE", "npm_config_cache", "PIP_CACHE_DIR",
    };

    /// <summary>
    /// The build's variables from the developer's <paramref name="host"/> environment. The build's HOME is the cache
    /// home, so settings files of the real <paramref name="hostHome"/> (~/.npmrc, pip.conf, ~/.pyenv) are named
    /// explicitly when they exist, and read (not written) from there.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Create(IReadOnlyDictionary<string, string> host, string? hostHome, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(exists);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in host)
        {
            if (!Refused.Contains(name) && (PassedNames.Contains(name) || PassedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))))
            {
                environment[name] = value;
            }
        }

        if (!string.IsNullOrEmpty(hostHome))
        {
            AddIfExists(environment, "NPM_CONFIG_USERCONFIG", Path.Combine(hostHome, ".npmrc"), exists);
            AddIfExists(environment, "PIP_CONFIG_FILE", Path.Combine(hostHome, ".config", "pip", "pip.conf"), exists);
            AddIfExists(environment, "PYENV_ROOT", Path.Combine(hostHome, ".pyenv"), exists);
        }

        environment["CI"] = "1";
        environment["NEXT_TELEMETRY_DISABLED"] = "1";
        return environment;
    }

    private static void AddIfExists(Dictionary<string, string> environment, string name, string path, Func<string, bool> exists)
    {
        if (!environment.ContainsKey(name) && !environment.ContainsKey(name.ToLowerInvariant()) && exists(path))
        {
            environment[name] = path;
        }
    }
}
