using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>Custom runtimes: a compiled, self-contained .NET executable that speaks the Lambda Runtime API itself.</summary>
public sealed class ProvidedRuntimeTests : IAsyncLifetime
{
    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_lambda_style_dotnet_executable_runs_as_a_provided_function()
    {
        var sample = Repo.Sample("provided-dotnet");
        var app = TempDirectory.Create("dotnetfn");
        var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", Path.Combine(sample, "ProvidedDotnet.csproj"), "-c", "Release",
            "-r", "linux-x64", "--self-contained", "-o", app, "-nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        Assert.True(publish.ExitCode == 0, await output + await errors);
        File.Copy(Path.Combine(sample, "serverless.yml"), Path.Combine(app, "serverless.yml"));

        var deploy = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var response = await _server.Http.PostAsync("/dotnetfn/dev/reverse", new StringContent("ferry"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("yrref", body.GetProperty("reversed").GetString());
        Assert.StartsWith(".NET 10.", body.GetProperty("runtime").GetString(), StringComparison.Ordinal);
    }
}
