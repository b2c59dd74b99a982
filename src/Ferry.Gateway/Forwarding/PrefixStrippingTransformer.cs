using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Web functions see their own paths: <c>/hello/dev/users/1</c> reaches the app as <c>/users/1</c>, with
/// <c>X-Forwarded-Prefix: /hello/dev</c> so it can build absolute links, and the usual X-Forwarded-* headers.
/// Through a custom domain bound at <c>/</c> the path is passed as requested and there is no prefix header.
/// </summary>
internal sealed class PrefixStrippingTransformer(string remainingPath, string prefix) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, new PathString(remainingPath), httpContext.Request.QueryString);
        proxyRequest.Headers.Host = null;
        // Replaced, never appended to: apps (Ferry's WSGI preset among them) trust this value for their links.
        // At a custom domain's root there is no prefix, so a client's own header is dropped and none is sent.
        proxyRequest.Headers.Remove("X-Forwarded-Prefix");
        if (prefix.Length > 0)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", prefix);
        }

        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
        if (httpContext.Connection.RemoteIpAddress is { } remote)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", remote.ToString());
        }
    }
}
