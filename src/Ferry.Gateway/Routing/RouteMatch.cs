using Ferry.Manifest;

namespace Ferry.Gateway.Routing;

/// <summary>The route a request was matched to.</summary>
/// <param name="Function">The function that declared the route.</param>
/// <param name="Route">The declared route.</param>
/// <param name="RouteKey">
/// The route's key as API Gateway spells it: <c>GET /users/{id}</c>, <c>ANY /files/{path+}</c>, or <c>$default</c>
/// for the catch-all path with any method.
/// </param>
/// <param name="PathParameters">Parameter values, URL-decoded; a greedy parameter holds the rest of the path joined with <c>/</c>.</param>
public sealed record RouteMatch(
    string Function,
    HttpRoute Route,
    string RouteKey,
    IReadOnlyDictionary<string, string> PathParameters);
