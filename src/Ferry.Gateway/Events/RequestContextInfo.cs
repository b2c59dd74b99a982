namespace Ferry.Gateway.Events;

/// <summary>Per-request facts the gateway adds to an HTTP event's <c>requestContext</c>.</summary>
/// <param name="RequestId">The gateway's id for this request (also sent back as <c>apigw-requestid</c>).</param>
/// <param name="AccountId">The account id apps see; Ferry has no accounts, so callers pass a fixed placeholder.</param>
/// <param name="Stage">The stage the request addressed.</param>
/// <param name="DomainName">The host the client called, e.g. <c>localhost:8080</c>.</param>
/// <param name="SourceIp">The client's IP address.</param>
/// <param name="Time">When the gateway received the request.</param>
public sealed record RequestContextInfo(
    string RequestId,
    string AccountId,
    string Stage,
    string DomainName,
    string SourceIp,
    DateTimeOffset Time);
