using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Ferry.Resources.Tests.Buckets;

/// <summary>
/// The AWS SDK for JavaScript v3 against the endpoint, with its default checksum behaviour: over plain HTTP a buffer
/// body is signed by its SHA-256 with an <c>x-amz-checksum-crc32</c> header, a stream body goes
/// <c>STREAMING-UNSIGNED-PAYLOAD-TRAILER</c> (aws-chunked, CRC32 trailer), and GetObject validates the CRC32 the
/// endpoint returns.
/// </summary>
public sealed class JavaScriptSdkTests
{
    private static readonly string ClientDirectory = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "s3-client");

    [Fact]
    public async Task The_javascript_sdk_puts_gets_lists_copies_and_deletes()
    {
        await using var server = await BucketTestServer.StartAsync();
        await EnsureInstalledAsync();

        var run = await RunAsync(File.Exists("/usr/bin/node") ? "/usr/bin/node" : "node", ["s3.mjs", JsonSerializer.Serialize(new
        {
            endpoint = server.Endpoint.TcpAddress.ToString().TrimEnd('/'),
            accessKeyId = BucketTestServer.AcmeKey,
            secretAccessKey = BucketTestServer.AcmeSecret,
            bucket = "photos",
        })]);
        Assert.True(run.ExitCode == 0, $"node s3.mjs failed:\n{run.Output}");
        using var result = JsonDocument.Parse(run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
        var root = result.RootElement;
        Assert.False(root.TryGetProperty("error", out _), run.Stdout);

        Assert.Equal("hello from javascript", root.GetProperty("body").GetString());
        Assert.Equal("text/plain", root.GetProperty("contentType").GetString());
        Assert.Equal("node", root.GetProperty("metadata").GetProperty("origin").GetString());
        Assert.True(root.GetProperty("bigMatches").GetBoolean());
        Assert.Equal(300 * 1024, root.GetProperty("bigLength").GetInt32());
        Assert.EndsWith("-2\"", root.GetProperty("multipartETag").GetString(), StringComparison.Ordinal);
        Assert.Equal(["js/big.bin", "js/copy.txt", "js/hello world.txt", "js/multi.bin"], root.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["js/"], root.GetProperty("commonPrefixes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["js/copy.txt", "js/multi.bin"], root.GetProperty("deleted").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["js/hello world.txt"], root.GetProperty("remaining").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("NoSuchKey", root.GetProperty("missingError").GetString());

        var stored = await server.Storage.FindObjectAsync(new("acme", "photos"), "js/hello world.txt", CancellationToken.None);
        Assert.Equal("CRC32", Assert.Single(stored!.Properties.Checksums).Key);
        Assert.Null(stored.Properties.ContentEncoding);
        Assert.Equal(
            ["ObjectCreated:Put", "ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete", "ObjectRemoved:Delete", "ObjectRemoved:Delete"],
            server.Events.Received.Select(n => n.EventName));
    }

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    private static async Task EnsureInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(ClientDirectory, "node_modules", "@aws-sdk", "client-s3")))
            {
                var install = await RunAsync("npm", ["install", "--no-audit", "--no-fund"]);
                Assert.True(install.ExitCode == 0, $"npm install in {ClientDirectory} failed (run scripts/setup.sh):\n{install.Output}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Output)> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = ClientDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Keep the SDK from reading a developer's real AWS configuration.
        info.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, $"--- stdout\n{await stdout}\n--- stderr\n{await stderr}");
    }
}
