// A bare reverse proxy for bench/gateway.sh: every request to --urls is forwarded to --upstream by YARP's
// IHttpForwarder, as Ferry's gateway forwards a web function's requests, minus routing, instances and metering.
//
//   dotnet BareProxy.dll --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:UPSTREAM_PORT
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

var upstream = args.SkipWhile(a => a != "--upstream").Skip(1).FirstOrDefault();
if (upstream is null || !Uri.TryCreate(upstream, UriKind.Absolute, out _))
{
    Console.Error.WriteLine("usage: BareProxy --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:PORT");
    return 2;
}

// As `ferry server` does (FerryServerHost.RunAsync): socket completions run on the threads that watch the sockets.
// Read when the process makes its first socket, so before anything else.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddHttpForwarder();
var app = builder.Build();

// The handler settings of Ferry's per-instance client (WebFunctionInstance.CreateClient), without its connect callback.
using var client = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ConnectTimeout = TimeSpan.FromSeconds(5),
    PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    ActivityHeadersPropagator = null,
});
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
app.Run(async context =>
{
    var error = await forwarder.SendAsync(context, upstream, client, ForwarderRequestConfig.Empty, HttpTransformer.Default);
    if (error != ForwarderError.None && !context.Response.HasStarted)
    {
        context.Response.StatusCode = StatusCodes.Status502BadGateway;
    }
});
await app.RunAsync();
return 0;
