using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Ferry.Manifest;

namespace Ferry.Gateway.Routing;

/// <summary>
/// The HTTP routes of one deployed revision, compiled into a segment trie and matched the way API Gateway
/// HTTP APIs choose a route: the most specific one wins.
/// <list type="bullet">
/// <item>Per segment, from left to right: a literal beats a <c>{param}</c>, which beats a greedy <c>{param+}</c>;
/// so the route with the longer literal prefix wins.</item>
/// <item>For the same path, an exact method beats <c>*</c> (ANY). A path that matches but whose methods do not
/// lets a less specific path that accepts the method win.</item>
/// <item>The catch-all path <c>*</c> (<c>$default</c>) is tried last.</item>
/// <item>HEAD does not fall back to GET routes (API Gateway does not either).</item>
/// <item>A parameter never matches an empty segment; a greedy parameter needs at least one character.</item>
/// <item>One trailing slash is ignored on both routes and requests: <c>/users/</c> is the same path as <c>/users</c>.
/// (API Gateway treats them as different paths; Ferry prefers forgiving URLs.)</item>
/// </list>
/// Request paths are given in URI-escaped form (see <see cref="GatewayAddress.RemainingPath"/>): segments are
/// split on literal <c>/</c> only, then percent-decoded for comparison and for parameter values.
/// </summary>
public sealed class RouteTable
{
    private const string AnyMethod = "*";
    private const int MaxStackSegments = 64;

    private static readonly IReadOnlyDictionary<string, string> NoParameters = FrozenDictionary<string, string>.Empty;

    private readonly Node _root;
    private readonly MethodEndpoints? _catchAll;

    private RouteTable(Node root, MethodEndpoints? catchAll, int count)
    {
        _root = root;
        _catchAll = catchAll;
        Count = count;
    }

    /// <summary>A table without routes: nothing matches.</summary>
    public static RouteTable Empty { get; } = Build([]);

    /// <summary>How many routes the table holds.</summary>
    public int Count { get; }

    /// <summary>Compiles the routes of a revision.</summary>
    /// <exception cref="ArgumentException">
    /// A route has an invalid method or path, or two routes match exactly the same requests.
    /// </exception>
    public static RouteTable Build(IEnumerable<(string Function, HttpRoute Route)> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);

        var root = new Node();
        MethodEndpoints? catchAll = null;
        int count = 0;
        foreach ((string function, HttpRoute route) in routes)
        {
            Endpoint endpoint = Endpoint.Create(function, route);
            MethodEndpoints target;
            if (endpoint.Segments is null)
            {
                target = catchAll ??= new MethodEndpoints();
            }
            else
            {
                target = root.Descend(endpoint.Segments);
            }

            if (!target.TryAdd(endpoint, out Endpoint? existing))
            {
                throw new ArgumentException(
                    $"Route '{endpoint.RouteKey}' of function '{function}' conflicts with route '{existing.RouteKey}' of function " +
                    $"'{existing.Function}': both match exactly the same requests.",
                    nameof(routes));
            }

            count++;
        }

        root.Freeze();
        return new RouteTable(root, catchAll, count);
    }

    /// <summary>Finds the route for a request, or null when none accepts this method on this path.</summary>
    /// <param name="method">The request method (compared case-insensitively).</param>
    /// <param name="path">The path after the stage prefix, URI-escaped, starting with <c>/</c>.</param>
    public RouteMatch? Match(string method, string path)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);

        ReadOnlySpan<char> trimmed = Trim(path);
        int count = CountSegments(trimmed);
        Span<Range> segments = count <= MaxStackSegments ? stackalloc Range[count] : new Range[count];
        Split(trimmed, segments);

        Endpoint? endpoint = Find(_root, trimmed, segments, 0, method) ?? _catchAll?.Find(method);
        return endpoint?.ToMatch(trimmed, segments);
    }

    /// <summary>
    /// The route whose CORS settings answer a browser's preflight (<c>OPTIONS</c> with
    /// <c>Access-Control-Request-Method</c>) for <paramref name="path"/>: the route the announced method would match if it
    /// has CORS settings, else any route of the path that has them; null when no route of the path has CORS settings.
    /// </summary>
    /// <param name="requestedMethod">The <c>Access-Control-Request-Method</c> header.</param>
    /// <param name="path">The path after the stage prefix, URI-escaped, starting with <c>/</c>.</param>
    public RouteMatch? MatchPreflight(string requestedMethod, string path)
    {
        ArgumentNullException.ThrowIfNull(requestedMethod);
        ArgumentNullException.ThrowIfNull(path);

        if (Match(requestedMethod, path) is { Route.Cors: not null } direct)
        {
            return direct;
        }

        ReadOnlySpan<char> trimmed = Trim(path);
        int count = CountSegments(trimmed);
        Span<Range> segments = count <= MaxStackSegments ? stackalloc Range[count] : new Range[count];
        Split(trimmed, segments);

        Endpoint? endpoint = Find(_root, trimmed, segments, 0, method: null, withCors: true) ?? _catchAll?.Find(method: null, withCors: true);
        return endpoint?.ToMatch(trimmed, segments);
    }

    /// <summary>
    /// True when some route matches <paramref name="path"/> with any method; lets the caller answer
    /// 405 Method Not Allowed instead of 404 Not Found when <see cref="Match"/> found nothing.
    /// </summary>
    public bool PathExists(string path)
    {
        ArgumentNullException.ThrowIfNull(path);

        ReadOnlySpan<char> trimmed = Trim(path);
        int count = CountSegments(trimmed);
        Span<Range> segments = count <= MaxStackSegments ? stackalloc Range[count] : new Range[count];
        Split(trimmed, segments);

        return _catchAll is not null || Find(_root, trimmed, segments, 0, method: null) is not null;
    }

    /// <summary>Drops the leading slash and one trailing slash: "/a/b/" becomes "a/b"; "/" becomes "".</summary>
    private static ReadOnlySpan<char> Trim(string path)
    {
        ReadOnlySpan<char> span = path;
        if (span.StartsWith('/'))
        {
            span = span[1..];
        }

        if (span.EndsWith('/'))
        {
            span = span[..^1];
        }

        return span;
    }

    private static int CountSegments(ReadOnlySpan<char> trimmed) => trimmed.IsEmpty ? 0 : trimmed.Count('/') + 1;

    private static void Split(ReadOnlySpan<char> trimmed, Span<Range> segments)
    {
        if (!segments.IsEmpty)
        {
            trimmed.Split(segments, '/');
        }
    }

    /// <summary>
    /// Depth-first search in precedence order (literal, parameter, greedy), backtracking when a branch has no
    /// route for the method. A null <paramref name="method"/> accepts any method.
    /// </summary>
    private static Endpoint? Find(Node node, ReadOnlySpan<char> path, ReadOnlySpan<Range> segments, int index, string? method, bool withCors = false)
    {
        if (index == segments.Length)
        {
            return node.Terminal?.Find(method, withCors);
        }

        ReadOnlySpan<char> segment = path[segments[index]];
        if (node.TryGetLiteral(segment, out Node? literal))
        {
            Endpoint? found = Find(literal, path, segments, index + 1, method, withCors);
            if (found is not null)
            {
                return found;
            }
        }

        if (node.Parameter is not null && !segment.IsEmpty)
        {
            Endpoint? found = Find(node.Parameter, path, segments, index + 1, method, withCors);
            if (found is not null)
            {
                return found;
            }
        }

        if (node.Greedy is not null && !path[segments[index].Start..].IsEmpty)
        {
            return node.Greedy.Find(method, withCors);
        }

        return null;
    }

    private static string Decode(ReadOnlySpan<char> escaped) =>
        escaped.Contains('%') ? Uri.UnescapeDataString(escaped) : escaped.ToString();

    /// <summary>A position in the trie: the routes that end here and the ways to go one segment deeper.</summary>
    private sealed class Node
    {
        private Dictionary<string, Node>? _literals;
        private FrozenDictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> _literalLookup;
        private bool _hasLiterals;

        public Node? Parameter { get; private set; }

        /// <summary>Routes whose path ends at this node.</summary>
        public MethodEndpoints? Terminal { get; private set; }

        /// <summary>Routes with a greedy parameter at this position.</summary>
        public MethodEndpoints? Greedy { get; private set; }

        public MethodEndpoints Descend(RouteSegment[] segments)
        {
            Node node = this;
            foreach (RouteSegment segment in segments)
            {
                switch (segment.Kind)
                {
                    case RouteSegmentKind.Literal:
                        node._literals ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                        if (!node._literals.TryGetValue(segment.Value, out Node? next))
                        {
                            next = new Node();
                            node._literals.Add(segment.Value, next);
                        }

                        node = next;
                        break;
                    case RouteSegmentKind.Parameter:
                        node = node.Parameter ??= new Node();
                        break;
                    case RouteSegmentKind.Greedy:
                        return node.Greedy ??= new MethodEndpoints();
                }
            }

            return node.Terminal ??= new MethodEndpoints();
        }

        /// <summary>Turns literal children into frozen dictionaries that can be probed with a span.</summary>
        public void Freeze()
        {
            if (_literals is not null)
            {
                FrozenDictionary<string, Node> frozen = _literals.ToFrozenDictionary(StringComparer.Ordinal);
                _literalLookup = frozen.GetAlternateLookup<ReadOnlySpan<char>>();
                _hasLiterals = true;
                foreach (Node child in frozen.Values)
                {
                    child.Freeze();
                }

                _literals = null;
            }

            Parameter?.Freeze();
        }

        public bool TryGetLiteral(ReadOnlySpan<char> escapedSegment, [NotNullWhen(true)] out Node? child)
        {
            if (!_hasLiterals)
            {
                child = null;
                return false;
            }

            return escapedSegment.Contains('%')
                ? _literalLookup.TryGetValue(Uri.UnescapeDataString(escapedSegment), out child)
                : _literalLookup.TryGetValue(escapedSegment, out child);
        }
    }

    /// <summary>The routes for one path shape, by method; <c>*</c> (ANY) answers methods without their own route.</summary>
    private sealed class MethodEndpoints
    {
        private readonly Dictionary<string, Endpoint> _byMethod = new(StringComparer.OrdinalIgnoreCase);
        private Endpoint? _any;

        public bool TryAdd(Endpoint endpoint, [NotNullWhen(false)] out Endpoint? existing)
        {
            if (endpoint.Method == AnyMethod)
            {
                existing = _any;
                _any ??= endpoint;
                return existing is null;
            }

            if (_byMethod.TryGetValue(endpoint.Method, out existing))
            {
                return false;
            }

            _byMethod.Add(endpoint.Method, endpoint);
            return true;
        }

        /// <summary>
        /// The route for <paramref name="method"/>, or any route at all when it is null (with <paramref name="withCors"/>,
        /// any route that has CORS settings).
        /// </summary>
        public Endpoint? Find(string? method, bool withCors = false)
        {
            if (method is null)
            {
                return withCors
                    ? _any is { Route.Cors: not null } ? _any : _byMethod.Values.FirstOrDefault(e => e.Route.Cors is not null)
                    : _any ?? _byMethod.Values.FirstOrDefault();
            }

            return _byMethod.TryGetValue(method, out Endpoint? exact) ? exact : _any;
        }
    }

    /// <summary>A compiled route.</summary>
    private sealed class Endpoint
    {
        private Endpoint(string function, HttpRoute route, string method, RouteSegment[]? segments, string routeKey)
        {
            Function = function;
            Route = route;
            Method = method;
            Segments = segments;
            RouteKey = routeKey;
            HasParameters = segments is not null && Array.Exists(segments, s => s.Kind != RouteSegmentKind.Literal);
        }

        public string Function { get; }
        public HttpRoute Route { get; }

        /// <summary>Upper-case method, or <c>*</c> for any.</summary>
        public string Method { get; }

        /// <summary>The path's segments; null for the catch-all path <c>*</c>.</summary>
        public RouteSegment[]? Segments { get; }

        public string RouteKey { get; }
        private bool HasParameters { get; }

        public static Endpoint Create(string function, HttpRoute route)
        {
            ArgumentException.ThrowIfNullOrEmpty(function);
            ArgumentNullException.ThrowIfNull(route);

            string method = NormalizeMethod(function, route);
            if (route.Path == RoutePattern.CatchAll)
            {
                string key = method == AnyMethod ? "$default" : $"{method} {RoutePattern.CatchAll}";
                return new Endpoint(function, route, method, segments: null, key);
            }

            RouteSegment[] segments;
            try
            {
                segments = RoutePattern.Parse(route.Path);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"Function '{function}': {ex.Message}", nameof(route), ex);
            }

            string keyMethod = method == AnyMethod ? "ANY" : method;
            return new Endpoint(function, route, method, segments, $"{keyMethod} {route.Path}");
        }

        private static string NormalizeMethod(string function, HttpRoute route)
        {
            string method = route.Method;
            if (method == AnyMethod || string.Equals(method, "ANY", StringComparison.OrdinalIgnoreCase))
            {
                return AnyMethod;
            }

            if (method.Length == 0 || !method.All(char.IsAsciiLetter))
            {
                throw new ArgumentException(
                    $"Function '{function}': route method '{method}' is not valid; expected an HTTP method such as GET, or '*' for any.",
                    nameof(route));
            }

            return method.ToUpperInvariant();
        }

        public RouteMatch ToMatch(ReadOnlySpan<char> path, ReadOnlySpan<Range> segments)
        {
            if (!HasParameters)
            {
                return new RouteMatch(Function, Route, RouteKey, NoParameters);
            }

            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            RouteSegment[] pattern = Segments!;
            for (int i = 0; i < pattern.Length; i++)
            {
                switch (pattern[i].Kind)
                {
                    case RouteSegmentKind.Parameter:
                        parameters[pattern[i].Value] = Decode(path[segments[i]]);
                        break;
                    case RouteSegmentKind.Greedy:
                        // Decoding the whole rest equals decoding each segment and joining them with '/'.
                        parameters[pattern[i].Value] = Decode(path[segments[i].Start..]);
                        break;
                }
            }

            return new RouteMatch(Function, Route, RouteKey, parameters);
        }
    }
}
