using System.Globalization;
using System.Text.Json;

namespace Ferry.Runtime.Sandbox;

/// <summary>An unprivileged host user a sandbox runs as: uid and primary gid (equal), the same inside and outside.</summary>
public readonly record struct SandboxUser(int Uid, int Gid)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"uid {Uid}");
}

/// <summary>
/// Which host user each sandbox runs as. Every tenant has a uid of its own (stable across restarts, recorded in a
/// file beside Ferry's data), so two tenants' processes can neither signal nor ptrace each other and files one
/// tenant's function writes are not readable by another's, even if a mount or pid leaked. Processes that belong to
/// no tenant yet (stem cells, which become one function once) get a one-off uid from a separate range.
/// <para>
/// All sandbox users also carry the supplementary <see cref="AccessGroupId"/>: Ferry's data folder is
/// <c>root:AccessGroup 0710</c>, so bubblewrap (which runs as the sandbox user and resolves its mount sources with
/// that user's rights) can reach the code folders inside while other local users cannot even list it.
/// </para>
/// <para>
/// Only a server running as root can start processes as other users. Otherwise every sandbox runs as the server's
/// own (already unprivileged) user and <see cref="SwitchesUsers"/> is false: tenants are then separated by the
/// sandbox's namespaces only.
/// </para>
/// </summary>
public sealed class SandboxUsers
{
    /// <summary>gid of the group every sandbox user has; also the start of Ferry's id range.</summary>
    public const int DefaultAccessGroupId = 1_500_000_000;

    /// <summary>Tenants get uids from the access group + 1 on, stem cells from here on.</summary>
    private const int TenantRangeSize = 1_000_000;
    private const int OneOffRangeSize = 1_000_000;

    private readonly object _gate = new();
    private readonly string? _registryFile;
    private readonly Dictionary<string, int> _tenants;
    private int _nextOneOff;

    /// <param name="registryFile">Where the tenant → uid assignments are kept (0600); null: in memory only (tests).</param>
    /// <param name="switchesUsers">Whether sandboxes run as other users; null: when this process runs as root.</param>
    public SandboxUsers(string? registryFile = null, bool? switchesUsers = null, int accessGroupId = DefaultAccessGroupId)
    {
        _registryFile = registryFile;
        AccessGroupId = accessGroupId;
        SwitchesUsers = switchesUsers ?? HostFileOwnership.EffectiveUserId == 0;
        _tenants = registryFile is not null && File.Exists(registryFile)
            ? Load(registryFile)
            : new Dictionary<string, int>(StringComparer.Ordinal);
        _nextOneOff = Random.Shared.Next(OneOffRangeSize);
    }

    /// <summary>Whether sandboxes run as the users handed out here (true) or all as the server's own user.</summary>
    public bool SwitchesUsers { get; }

    public int AccessGroupId { get; }

    /// <summary>The user of <paramref name="tenant"/>'s sandboxes; assigned (and recorded) on first use.</summary>
    public SandboxUser ForTenant(string tenant)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        if (!SwitchesUsers)
        {
            return Self;
        }

        lock (_gate)
        {
            if (!_tenants.TryGetValue(tenant, out var index))
            {
                index = _tenants.Count == 0 ? 0 : _tenants.Values.Max() + 1;
                if (index >= TenantRangeSize)
                {
                    throw new SandboxStartException($"no sandbox uid is left for tenant '{tenant}' ({TenantRangeSize} tenants have one)");
                }

                _tenants[tenant] = index;
                Save();
            }

            var uid = AccessGroupId + 1 + index;
            return new SandboxUser(uid, uid);
        }
    }

    /// <summary>A uid no tenant has, for a process that belongs to nobody yet (a stem cell, a test).</summary>
    public SandboxUser OneOff()
    {
        if (!SwitchesUsers)
        {
            return Self;
        }

        var offset = Interlocked.Increment(ref _nextOneOff) % OneOffRangeSize;
        var uid = AccessGroupId + 1 + TenantRangeSize + offset;
        return new SandboxUser(uid, uid);
    }

    /// <summary>The server's own user (when it cannot switch users).</summary>
    private static SandboxUser Self
    {
        get
        {
            var uid = HostFileOwnership.EffectiveUserId;
            return new SandboxUser(uid, uid);
        }
    }

    private static Dictionary<string, int> Load(string file)
    {
        try
        {
            var loaded = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(file));
            return new Dictionary<string, int>(loaded ?? [], StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new SandboxStartException($"{file} (which uid each tenant's sandboxes run as) is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the assignments atomically: a crash leaves the old file or the new one, never half of one.</summary>
    private void Save()
    {
        if (_registryFile is null)
        {
            return;
        }

        var temporary = _registryFile + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(stream, _tenants);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _registryFile, overwrite: true);
    }
}
