using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.Hub;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;

namespace Ferry.IntegrationTests;

/// <summary>
/// Functions shipped as OCI image archives (built here by images/build-test-image.sh with umoci, no Docker): a real
/// server unpacks the image at deploy and runs it in bubblewrap with the image's rootfs as its root.
/// </summary>
public sealed class ImageFunctionTests : IAsyncLifetime
{
    private static readonly Lazy<Task<string>> TestImage = new(BuildTestImageAsync);

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string ImageCache => Path.Combine(_server.DataDirectory, "images");

    private static async Task<string> ImageAppAsync(string serverlessYml)
    {
        var app = TestApp.Create(serverlessYml);
        Directory.CreateDirectory(Path.Combine(app, "images"));
        File.Copy(await TestImage.Value, Path.Combine(app, "images", "thumbnailer.oci.tar"));
        return app;
    }

    private const string App = """
        service: imgapp
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          thumbs:
            image: ./images/thumbnailer.oci.tar
            memorySize: 128
            events:
              - httpApi: 'GET /thumbs'
        """;

    [Fact]
    public async Task An_image_function_answers_from_inside_its_image_logs_and_reuses_its_unpacked_image()
    {
        var app = await ImageAppAsync(App);

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var response = await _server.Http.GetAsync("/imgapp/dev/thumbs");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        // /etc/ferry-image-release exists only in the image; GREETING comes from the image's Env, "from-cmd" is its Cmd.
        Assert.Equal("ferry-test-image 1; greeting=hello-from-image-env; mode=from-cmd; cwd=/var/task", body);
        var requestId = response.Headers.GetValues("apigw-requestid").Single();

        var logs = await WaitForLogAsync(app, requestId, $"image handling {requestId}");
        Assert.Contains(logs, l => l.Message.StartsWith("INIT_START Runtime: provided", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.RequestId == requestId && l.Message.StartsWith("REPORT", StringComparison.Ordinal));

        var digest = Assert.Single(Directory.GetDirectories(ImageCache));
        var marker = Path.Combine(digest, "marker-of-the-first-unpack");
        await File.WriteAllTextAsync(marker, "");

        // A new revision (other code, the manifest overriding the image's Cmd and Env) with the same image archive.
        await File.WriteAllTextAsync(Path.Combine(app, "serverless.yml"), App
            .Replace("image: ./images/thumbnailer.oci.tar", "image: { path: images/thumbnailer.oci.tar, command: [from-manifest] }", StringComparison.Ordinal)
            .Replace("memorySize: 128", "memorySize: 128\n    environment:\n      GREETING: from-the-manifest", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(app, "NOTES.txt"), "revision 2");
        var redeploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(redeploy.ExitCode == 0, redeploy.ToString());

        var second = await _server.Http.GetStringAsync("/imgapp/dev/thumbs");
        Assert.Equal("ferry-test-image 1; greeting=from-the-manifest; mode=from-manifest; cwd=/var/task", second);
        Assert.Equal([digest], Directory.GetDirectories(ImageCache)); // no second unpack, no leftovers
        Assert.True(File.Exists(marker), "the unpacked image was replaced instead of reused");
    }

    [Fact]
    public async Task A_bad_image_archive_is_a_deploy_error_naming_the_function_and_the_file()
    {
        var app = await ImageAppAsync("""
            service: badimg
            provider:
              runtime: provided
            functions:
              good:
                image: images/thumbnailer.oci.tar
              broken:
                image: images/broken.tar
              absent:
                image: images/absent.tar
              typo:
                image: { path: images/thumbnailer.oci.tar, entryPoint: [/var/task/bootstarp] }
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "images", "broken.tar"), "this is not a tar of an OCI layout");

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");

        Assert.NotEqual(0, deploy.ExitCode);
        var output = deploy.Stdout + deploy.Stderr;
        Assert.Contains("functions.broken: the image 'images/broken.tar' can't be used: the file is not", output, StringComparison.Ordinal);
        Assert.Contains("functions.absent: the image 'images/absent.tar' can't be used: the file does not exist", output, StringComparison.Ordinal);
        Assert.Contains("functions.typo: the image 'images/thumbnailer.oci.tar' can't be used: the image has no file '/var/task/bootstarp'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("functions.good", output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/api/v1/apps/badimg/dev")).StatusCode);
    }

    [Fact]
    public async Task A_closed_source_image_runs_for_its_consumer_but_nobody_can_download_it()
    {
        using var provider = Client(await TokenAsync("acme", "provider"));
        using var reviewer = Client(await TokenAsync("board", "reviewer"));
        using var consumer = Client(await TokenAsync("globex", "consumer"));
        using var key = TemplateSigningKey.Generate();
        (await provider.PostAsJsonAsync("/api/v1/signing-keys", new RegisterKeyRequest(key.PublicKey.Export()), ApiJson.Options)).EnsureSuccessStatusCode();
        var app = await ImageAppAsync("""
            service: sealedimg
            template:
              name: sealedimg
              version: 1.0.0
              description: Ships an image only
              closedSource: [thumbs]
            provider:
              name: aws
              runtime: provided.al2
            functions:
              thumbs:
                image: images/thumbnailer.oci.tar
                events:
                  - httpApi: 'GET /thumbs'
            """);

        var published = await PublishAsync(provider, app, key);
        Assert.True(published.StatusCode == HttpStatusCode.Created, await published.Content.ReadAsStringAsync());
        Assert.Equal(["thumbs"], (await published.Content.ReadFromJsonAsync<TemplateVersionInfo>(ApiJson.Options))!.ClosedSourceFunctions);
        (await reviewer.PostAsJsonAsync("/api/v1/templates/sealedimg/versions/1.0.0/approve", new ReviewDecision(null), ApiJson.Options)).EnsureSuccessStatusCode();

        var installed = await consumer.PostAsJsonAsync("/api/v1/installs", new InstallRequest("sealedimg", null, null, null, "prod", null, null), ApiJson.Options);
        Assert.True(installed.StatusCode == HttpStatusCode.Created, await installed.Content.ReadAsStringAsync());
        Assert.StartsWith("ferry-test-image 1;", await _server.Http.GetStringAsync("/sealedimg/prod/thumbs"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await consumer.GetAsync("/api/v1/templates/sealedimg/versions/1.0.0/package")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await provider.GetAsync("/api/v1/templates/sealedimg/versions/1.0.0/package")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await consumer.GetAsync("/api/v1/apps/sealedimg/prod/code")).StatusCode);
        var review = await reviewer.GetStringAsync("/api/v1/templates/sealedimg/versions/1.0.0/review");
        Assert.Contains("images/thumbnailer.oci.tar", review, StringComparison.Ordinal); // named as closed-source…
        Assert.DoesNotContain("imageLayoutVersion", review, StringComparison.Ordinal); // …its content never shown
    }

    private async Task<LogLine[]> WaitForLogAsync(string app, string requestId, string expected)
    {
        LogLine[] lines = [];
        for (var attempt = 0; attempt < 100 && !lines.Any(l => l.RequestId == requestId && l.Message.StartsWith("REPORT", StringComparison.Ordinal)); attempt++)
        {
            await Task.Delay(100);
            var cli = await FerryCli.RunAsync(_server.BaseUrl, app, "logs", "-f", "thumbs", "--output", "json");
            Assert.True(cli.ExitCode == 0, cli.ToString());
            lines = [.. cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<LogLine>(l, ApiJson.Options)!)];
        }

        Assert.Contains(lines, l => l.RequestId == requestId && l.Message == expected);
        return lines;
    }

    private async Task<string> TokenAsync(string tenant, string role)
    {
        await _server.Http.PostAsJsonAsync("/api/v1/tenants", new CreateTenantRequest(tenant), ApiJson.Options);
        var response = await _server.Http.PostAsJsonAsync("/api/v1/tokens", new CreateTokenRequest(tenant, $"{tenant}-{role}", [role]), ApiJson.Options);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedToken>(ApiJson.Options))!.Token;
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<HttpResponseMessage> PublishAsync(HttpClient provider, string appDirectory, TemplateSigningKey key)
    {
        using var package = new MemoryStream();
        await TemplatePackager.CreateAsync(appDirectory, key, package, CancellationToken.None);
        using var content = new MultipartFormDataContent
        {
            { new ByteArrayContent(package.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/zip") } }, "package", "template.zip" },
            { new StringContent("image release"), "changelog" },
        };
        return await provider.PostAsync("/api/v1/templates", content);
    }

    /// <summary>Runs images/build-test-image.sh once per test run; the archive is reused, so its digest is stable.</summary>
    private static async Task<string> BuildTestImageAsync()
    {
        var output = Path.Combine(TempDirectory.Create("ferry-test-image"), "thumbnailer.oci.tar");
        var script = Path.Combine(Repo.Root, "test", "Ferry.IntegrationTests", "images", "build-test-image.sh");
        using var build = Process.Start(new ProcessStartInfo("/bin/sh", [script, output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        Assert.True(build.ExitCode == 0, $"build-test-image.sh failed (needs umoci and busybox-static):\n{await stdout}\n{await stderr}");
        return output;
    }
}
