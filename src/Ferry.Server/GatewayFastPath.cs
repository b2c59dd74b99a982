using Ferry.Gateway.Forwarding;
using Ferry.Server.Lambda;
using Ferry.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Ferry.Server;

/// <summary>
/// The first middleware of the server (issue 12): requests for functions go straight to the gateway, without endpoint
/// routing, authentication, authorization and the HTTP request metrics, none of which does anything for them (the
/// gateway endpoint is public; API keys are checked by the gateway itself, per route).
/// <list type="bullet">
/// <item>A connection the Lambda relay opened for a function is never served here: it goes on to the relay scope,
/// which answers it only with the Lambda Invoke API (custom domains included).</item>
/// <item>A Host bound as a custom domain belongs to its app at every path.</item>
/// <item>A path <c>/{service}/{stage}/…</c> of an app stage deployed now is served here only when routing could not
/// have chosen another endpoint for it: its first segment is none of the literal first segments of the server's
/// own endpoints (<c>api</c>, <c>console</c>, <c>healthz</c>…, read from the endpoints themselves). Should any endpoint
/// other than the gateway's start with a parameter, the shortcut is off and routing decides everything.</item>
/// </list>
/// Everything else (the API, the console, unknown apps) takes the normal pipeline; the gateway's fallback endpoint
/// answers what is left, as before. With inline I/O (<paramref name="inlineIo"/>) that pipeline runs on the thread
/// pool (<see cref="ThreadPoolContinuations"/>); function requests stay on the socket thread that read them.
/// </summary>
internal sealed class GatewayFastPath(FunctionGateway gateway, LambdaEndpointRelay relay, EndpointDataSource endpoints, bool inlineIo)
{
    private ReservedSegments? _reserved;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var connection = context.Connection;
        if (!relay.IsRelayed(connection.RemoteIpAddress, connection.RemotePort)
            && (await gateway.TryHandleByHostAsync(context)
                || (MayBeGatewayPath(context.Request.Path) && await gateway.TryHandleDeployedAsync(context))))
        {
            return;
        }

        await (inlineIo ? ThreadPoolContinuations.Run(next, context) : next(context));
    }

    /// <summary>Whether routing would send <paramref name="path"/> to the gateway's fallback endpoint whatever follows its first segment.</summary>
    internal bool MayBeGatewayPath(PathString path)
    {
        var reserved = _reserved ??= ReservedSegments.Of(endpoints.Endpoints);
        return reserved.AllowsShortcut && path.Value is { Length: > 1 } value && !reserved.Contains(FirstSegment(value));
    }

    private static ReadOnlySpan<char> FirstSegment(string path)
    {
        var rest = path.AsSpan(1);
        var end = rest.IndexOf('/');
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>The literal first segments of the server's endpoints other than the gateway's.</summary>
    internal sealed class ReservedSegments
    {
        private readonly string[] _segments;

        private ReservedSegments(string[] segments, bool allowsShortcut)
        {
            _segments = segments;
            AllowsShortcut = allowsShortcut;
        }

        /// <summary>False when some endpoint other than the gateway's begins with a parameter (it could match any app path).</summary>
        public bool AllowsShortcut { get; }

        public static ReservedSegments Of(IReadOnlyList<Endpoint> endpoints)
        {
            var segments = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var endpoint in endpoints)
            {
                if (endpoint.Metadata.GetMetadata<GatewayEndpoint>() is not null)
                {
                    continue;
                }

                if (endpoint is not RouteEndpoint route)
                {
                    return new ReservedSegments([], allowsShortcut: false);
                }

                var pattern = route.RoutePattern;
                if (pattern.PathSegments.Count == 0)
                {
                    continue; // "/" itself: never an app's path (those have a service and a stage)
                }

                if (pattern.PathSegments[0].Parts is [RoutePatternLiteralPart literal])
                {
                    segments.Add(literal.Content);
                }
                else
                {
                    return new ReservedSegments([], allowsShortcut: false);
                }
            }

            return new ReservedSegments([.. segments], allowsShortcut: true);
        }

        /// <summary>Routing compares literals ignoring case; so does this.</summary>
        public bool Contains(ReadOnlySpan<char> segment)
        {
            foreach (var reserved in _segments)
            {
                if (segment.Equals(reserved, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
