using System.Net;
using System.Net.Sockets;

namespace Ferry.Server.Hub;

/// <summary>
/// Which addresses a hub a consumer added may be on: public unicast only. Loopback, link-local, private, shared
/// (carrier-grade NAT), unspecified, multicast and reserved addresses are refused, so <c>ferry hub add</c> cannot be
/// used to reach (or probe) the server's own machine and network. Checked on the addresses a connection actually
/// goes to (<see cref="ConnectAsync"/>), not on the name, so DNS rebinding does not get around it.
/// </summary>
public static class HubAddressRules
{
    /// <summary>The one answer for every refused address: it does not depend on whether anything listens there.</summary>
    public const string RefusedMessage =
        "hub addresses may not be loopback, link-local, private, unspecified or multicast; ask an admin to add this hub";

    /// <summary>
    /// At <c>ferry hub add</c>: false when the URL's host is an address literal (or <c>localhost</c>) that is not
    /// public. Names are judged again at every connection, on what they resolve to then.
    /// </summary>
    public static bool MayBePublic(Uri url)
    {
        if (url.IsLoopback || url.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return !IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var literal) || IsPublic(literal);
    }

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return !(b[0] == 0                                   // 0.0.0.0/8 "this network", unspecified
                     || b[0] == 10                               // 10/8 private
                     || b[0] == 127                              // loopback
                     || (b[0] == 100 && (b[1] & 0xC0) == 64)     // 100.64/10 shared (CGNAT)
                     || (b[0] == 169 && b[1] == 254)             // link-local (cloud metadata lives here)
                     || (b[0] == 172 && (b[1] & 0xF0) == 16)     // 172.16/12 private
                     || (b[0] == 192 && b[1] == 168)             // 192.168/16 private
                     || (b[0] == 192 && b[1] == 0 && b[2] == 0)  // 192.0.0/24 protocol assignments
                     || (b[0] == 198 && (b[1] & 0xFE) == 18)     // 198.18/15 benchmarking
                     || b[0] >= 224);                            // multicast, reserved, broadcast
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            if (IPAddress.IPv6Any.Equals(address) || IPAddress.IPv6Loopback.Equals(address)
                || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC) // fc00::/7 unique local
            {
                return false;
            }

            // IPv4 carried inside IPv6 (IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96): judge the IPv4 address.
            var embedsIPv4 = b[..12].IndexOfAnyExcept((byte)0) < 0
                             || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].IndexOfAnyExcept((byte)0) < 0);
            return !embedsIPv4 || IsPublic(new IPAddress(b[12..]));
        }

        return false;
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host itself and connects to its public
    /// addresses only; when it has none, fails with <see cref="HubAddressRefusedException"/> before any packet is sent.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new HubAddressRefusedException();
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A hub's address is not one a consumer's hub may have (see <see cref="HubAddressRules"/>).</summary>
public sealed class HubAddressRefusedException() : Exception(HubAddressRules.RefusedMessage);
