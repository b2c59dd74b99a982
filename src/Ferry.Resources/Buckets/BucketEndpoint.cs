using System.Net;
using System.Security.Cryptography;
using System.Text;
using Ferry.Resources.Queues;
using Ferry.Triggers.Lambda;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Resources.Buckets;

/// <summary>
/// The S3-compatible HTTP endpoint over <see cref="BucketStorage"/>: its own small Kestrel server on a loopback port
/// and a UNIX socket. Every request is SigV4-authenticated against <see cref="IBucketCredentials"/>; objects created
/// or removed are published to <see cref="IBucketEventSink"/>. Errors use S3's XML shape and codes so SDKs raise
/// their usual exceptions.
/// </summary>
public sealed partial class BucketEndpoint : IAsyncDisposable
{
    private readonly WebApplication app;

    private BucketEndpoint(WebApplication app, Uri tcpAddress, string socketPath)
    {
        this.app = app;
        TcpAddress = tcpAddress;
        SocketPath = socketPath;
    }

    /// <summary>The TCP address, with the port actually bound (e.g. <c>http://127.0.0.1:41234/</c>).</summary>
    public Uri TcpAddress { get; }

    /// <summary>The UNIX socket the endpoint also listens on.</summary>
    public string SocketPath { get; }

    public static async Task<BucketEndpoint> StartAsync(BucketEndpointOptions options, BucketStorage storage, IBucketCredentials credentials,
        IBucketEventSink events, ILoggerFactory loggerFactory, CancellationToken cancellationToken, QueueStore? queues = null)
    {
        var tcp = new Uri(options.TcpUrl);
        if (tcp.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"BucketEndpointOptions.TcpUrl '{options.TcpUrl}' must be an http:// URL", nameof(options));
        }

        var address = tcp.IsLoopback && !IPAddress.TryParse(tcp.Host, out _) ? IPAddress.Loopback
            : IPAddress.TryParse(tcp.Host.Trim('[', ']'), out var parsed) && IPAddress.IsLoopback(parsed) ? parsed
            : throw new ArgumentException($"BucketEndpointOptions.TcpUrl '{options.TcpUrl}' must name a loopback address", nameof(options));
        if (File.Exists(options.UnixSocketPath))
        {
            // A socket left by a previous run would make the bind fail.
            File.Delete(options.UnixSocketPath);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, tcp.Port);
            kestrel.ListenUnixSocket(options.UnixSocketPath);
            // Object sizes are enforced per operation (MaxObjectBytes → EntityTooLarge), not by Kestrel's generic limit.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
            // User metadata travels in headers and may be UTF-8.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.UTF8;
            kestrel.ResponseHeaderEncodingSelector = _ => Encoding.UTF8;
        });

        // Requests are authenticated by the SigV4 scheme (see S3Authenticator), against this endpoint's keys.
        builder.Services.AddSingleton<ISigV4Credentials>(new BucketSigV4Credentials(credentials));
        builder.Services.AddAuthentication()
            .AddScheme<SigV4AuthenticationOptions, SigV4AuthenticationHandler>(SigV4AuthenticationDefaults.AuthenticationScheme, sigV4 =>
            {
                sigV4.Service = "s3";
                sigV4.OtherServices = queues is null ? [] : [SqsEndpoint.Service];
                sigV4.TimeProvider = options.Clock;
            });

        var app = builder.Build();
        var logger = loggerFactory.CreateLogger<BucketEndpoint>();
        var handlers = new S3Handlers(storage, options, events, logger);
        var authenticator = new S3Authenticator();
        var sqs = queues is null ? null : new SqsEndpoint(queues, logger);
        app.Run(context => HandleAsync(context, options, authenticator, handlers, sqs, logger));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("http://", StringComparison.Ordinal) && !a.StartsWith("http://unix:", StringComparison.Ordinal));
        var endpoint = new BucketEndpoint(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"), options.UnixSocketPath);
        LogListening(logger, endpoint.TcpAddress, endpoint.SocketPath);
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await app.DisposeAsync();
            File.Delete(SocketPath);
        }
    }

    private static async Task HandleAsync(HttpContext context, BucketEndpointOptions options, S3Authenticator authenticator, S3Handlers handlers, SqsEndpoint? sqs, ILogger logger)
    {
        var requestId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        if (sqs is not null && SqsEndpoint.Handles(context.Request))
        {
            await sqs.HandleAsync(context, requestId);
            return;
        }

        context.Response.Headers["x-amz-request-id"] = requestId;
        context.Response.Headers["x-amz-id-2"] = requestId;
        var cancellationToken = context.RequestAborted;
        S3Request? request = null;
        try
        {
            request = S3Request.Parse(context, options.VirtualHostSuffixes);
            var caller = await authenticator.AuthenticateAsync(context, request);
            await handlers.HandleAsync(context, request, caller, cancellationToken);
        }
        catch (S3Exception e)
        {
            LogRefused(logger, context.Request.Method, request?.Bucket, request?.Key, e.Code, e.Message);
            await WriteErrorAsync(context, e, request, requestId);
        }
        catch (BadHttpRequestException e)
        {
            await WriteErrorAsync(context, S3Exception.IncompleteBody($"The request body could not be read: {e.Message}"), request, requestId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e)
        {
            LogFailed(logger, e, context.Request.Method, request?.Bucket, request?.Key);
            await WriteErrorAsync(context, new S3Exception("InternalError", 500, "We encountered an internal error. Please try again."), request, requestId);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, S3Exception error, S3Request? request, string requestId)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Bytes are already on their way: cutting the connection is the only signal left.
            context.Abort();
            return;
        }

        response.Headers.Remove("ETag");
        response.Headers.Remove("Last-Modified");
        response.StatusCode = error.Status;
        if (context.Request.Method == HttpMethods.Head || error.Status == StatusCodes.Status304NotModified)
        {
            return;
        }

        if (error.Code == "InvalidRange" && error.Details.FirstOrDefault(d => d.Key == "ActualObjectSize").Value is { } size)
        {
            response.Headers.ContentRange = $"bytes */{size}";
        }

        var resource = request is null ? "/" : "/" + string.Join('/', new[] { request.Bucket, request.Key }.OfType<string>());
        var document = S3Xml.Document("Error", xml =>
        {
            xml.WriteElementString("Code", error.Code);
            xml.WriteElementString("Message", error.Message);
            foreach (var (name, value) in error.Details)
            {
                xml.WriteElementString(name, value);
            }

            xml.WriteElementString("Resource", resource);
            xml.WriteElementString("RequestId", requestId);
        }, withNamespace: false);
        response.ContentType = "application/xml";
        response.ContentLength = document.Length;
        try
        {
            await response.Body.WriteAsync(document, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client is gone.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "S3-compatible bucket endpoint listening on {Address} and {Socket}")]
    private static partial void LogListening(ILogger logger, Uri address, string socket);

    [LoggerMessage(Level = LogLevel.Debug, Message = "S3 {Method} {Bucket}/{Key} refused: {Code} {Message}")]
    private static partial void LogRefused(ILogger logger, string method, string? bucket, string? key, string code, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "S3 {Method} {Bucket}/{Key} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string? bucket, string? key);
}
