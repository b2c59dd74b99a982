using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Ferry.Runtime.Tests.Bootstrap;

/// <summary>
/// The runtime loops' own HTTP/1.1 clients (<c>runtime/node/http-connection.mjs</c>,
/// <c>runtime/python/ferry_http_connection.py</c>) against a server that answers the way any HTTP/1.1 server may: in
/// pieces, chunked, with trailers, closing the connection. The server is scripted byte by byte here; the client runs in
/// a real interpreter, making POSTs one after another and printing what each resolved to (or the error) as a JSON line.
/// </summary>
public abstract class HttpConnectionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ferry-http-connection-");

    protected HttpConnectionTests() => _listener.Start();

    /// <summary>The interpreter and the client script that makes <paramref name="requests"/> POSTs to 127.0.0.1:<paramref name="port"/>.</summary>
    private protected abstract (string Interpreter, string FileName, string Source) ClientScript(int port, int requests);

    public void Dispose()
    {
        _listener.Stop();
        _folder.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>How one request is answered: the bytes, written in pieces of <paramref name="PieceSize"/>, then maybe a close.</summary>
    private sealed record Answer(string Bytes, int PieceSize = int.MaxValue, bool CloseAfter = false);

    [Fact]
    public async Task An_answer_that_arrives_a_byte_at_a_time_is_read_whole_even_inside_a_utf8_character()
    {
        var body = """{"name":"Zoë ✓"}""";
        var results = await RunAsync(2,
            new Answer($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nX-Twice: a\r\nx-twice: b\r\n\r\n{body}", PieceSize: 1),
            new Answer("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"));

        Assert.Equal(200, results[0].GetProperty("status").GetInt32());
        Assert.Equal(body, results[0].GetProperty("body").GetString());
        Assert.Equal("a, b", results[0].GetProperty("headers").GetProperty("x-twice").GetString());
        Assert.Equal("ok", results[1].GetProperty("body").GetString());
        Assert.Equal(1, _connections); // kept alive
    }

    [Fact]
    public async Task A_chunked_answer_with_extensions_and_trailers_is_joined()
    {
        var results = await RunAsync(2,
            new Answer("HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n", PieceSize: 3),
            new Answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"));

        Assert.Equal(410, results[0].GetProperty("status").GetInt32());
        Assert.Equal("hello, world", results[0].GetProperty("body").GetString());
        Assert.Equal("", results[1].GetProperty("body").GetString());
        Assert.Equal(1, _connections);
    }

    [Fact]
    public async Task After_connection_close_or_a_body_that_ends_with_the_connection_the_next_request_opens_a_new_one()
    {
        var results = await RunAsync(3,
            new Answer("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\none", CloseAfter: true),
            new Answer("HTTP/1.0 200 OK\r\n\r\ntwo, to the end", CloseAfter: true),
            new Answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree"));

        Assert.Equal(["one", "two, to the end", "three"], results.Select(r => r.GetProperty("body").GetString()));
        Assert.Equal(3, _connections);
    }

    [Fact]
    public async Task A_kept_connection_the_server_closed_while_idle_is_replaced_and_the_request_is_answered()
    {
        // The server answers and then closes without saying so (an idle keep-alive timeout); the client learns of it
        // only when it uses the connection again, or from the close itself.
        var results = await RunAsync(2,
            new Answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", CloseAfter: true),
            new Answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"));

        Assert.Equal(["a", "b"], results.Select(r => r.GetProperty("body").GetString()));
        Assert.Equal(2, _connections);
    }

    [Fact]
    public async Task A_connection_cut_in_the_middle_of_an_answer_fails_the_request()
    {
        var results = await RunAsync(1, new Answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", CloseAfter: true));

        Assert.Contains("closed", results[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Something_that_is_not_http_fails_the_request_with_what_came()
    {
        var results = await RunAsync(1, new Answer("SSH-2.0-OpenSSH_9.2\r\n\r\n"));

        var error = results[0].GetProperty("error").GetString();
        Assert.Contains("not an HTTP/1.x answer: ", error);
        Assert.Contains("SSH-2.0-OpenSSH_9.2", error);
    }

    private int _connections;

    /// <summary>Makes <paramref name="requests"/> POSTs one after another and returns what the client resolved (or threw) for each.</summary>
    private async Task<List<JsonElement>> RunAsync(int requests, params Answer[] answers)
    {
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        var (interpreter, fileName, source) = ClientScript(port, requests);
        var script = Path.Combine(_folder.FullName, fileName);
        await File.WriteAllTextAsync(script, source);

        using var patience = new CancellationTokenSource(Patience);
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(patience.Token);
        var server = ServeAsync(answers, serving.Token);
        var start = new ProcessStartInfo(interpreter, [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(patience.Token);
        var errors = node.StandardError.ReadToEndAsync(patience.Token);
        await node.WaitForExitAsync(patience.Token);
        var lines = await output;
        await serving.CancelAsync();
        await server;
        Assert.True(node.ExitCode == 0, await errors);
        return [.. lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
    }

    /// <summary>Answers each request with the next scripted answer, checking the request's head and body arrived whole.</summary>
    private async Task ServeAsync(Answer[] answers, CancellationToken cancellationToken)
    {
        var next = 0;
        try
        {
            while (next < answers.Length)
            {
                using var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                _connections++;
                var stream = client.GetStream();
                while (next < answers.Length)
                {
                    var request = await ReadRequestAsync(stream, cancellationToken);
                    if (request is null)
                    {
                        break; // the client closed this connection
                    }

                    Assert.Contains($"payload {next}", request);
                    var answer = answers[next++];
                    var bytes = Encoding.UTF8.GetBytes(answer.Bytes);
                    for (var offset = 0; offset < bytes.Length; offset += answer.PieceSize)
                    {
                        await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(answer.PieceSize, bytes.Length - offset)), cancellationToken);
                        await stream.FlushAsync(cancellationToken);
                        if (answer.PieceSize < bytes.Length)
                        {
                            await Task.Delay(1, cancellationToken);
                        }
                    }

                    if (answer.CloseAfter)
                    {
                        break;
                    }
                }
            }

            // Keep the last connection open until the client is done with it.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One request (head and Content-Length body) as text; null when the connection ends first.</summary>
    private static async Task<string?> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.UTF8.GetString(received.ToArray());
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var lengthLine = text[..headEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (received.Count >= headEnd + 4 + length)
                {
                    return text;
                }
            }

            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return null;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }
    }
}

public sealed class NodeHttpConnectionTests : HttpConnectionTests
{
    private protected override (string, string, string) ClientScript(int port, int requests)
    {
        var module = new Uri(Path.Combine(AppContext.BaseDirectory, "runtime", "node", "http-connection.mjs")).AbsoluteUri;
        return ("node", "client.mjs", $$"""
            import { HttpConnection } from '{{module}}';
            const connection = new HttpConnection({ host: '127.0.0.1', port: {{port}} });
            for (let i = 0; i < {{requests}}; i++) {
              try {
                const answer = await connection.request('POST', '/r/' + i, Buffer.from('payload ' + i), { 'Content-Type': 'text/plain' });
                console.log(JSON.stringify(answer));
              } catch (err) {
                console.log(JSON.stringify({ error: err.message }));
              }
            }
            """);
    }
}

public sealed class PythonHttpConnectionTests : HttpConnectionTests
{
    private protected override (string, string, string) ClientScript(int port, int requests)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "runtime", "python");
        return (BootstrapRuntime.Python.Executable, "client.py", $$"""
            import json, sys
            sys.path.insert(0, {{JsonSerializer.Serialize(folder)}})
            from ferry_http_connection import HttpConnection, HttpConnectionError
            connection = HttpConnection(host="127.0.0.1", port={{port}})
            for i in range({{requests}}):
                try:
                    status, headers, body = connection.request("POST", f"/r/{i}", f"payload {i}".encode(), {"Content-Type": "text/plain"})
                    print(json.dumps({"status": status, "headers": headers, "body": body.decode("utf-8")}), flush=True)
                except HttpConnectionError as err:
                    print(json.dumps({"error": str(err)}), flush=True)
            """);
    }
}
