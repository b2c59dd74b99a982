using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Manifest;
using Ferry.Server.Api;
using Ferry.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ferry.IntegrationTests;

/// <summary>
/// What another local user (or someone with a copy of the store) finds at rest: owner-only modes, encrypted secrets;
/// and what refused or crashed uploads leave on disk: nothing.
/// </summary>
public sealed class AtRestTests : IAsyncLifetime
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_data_folder_and_the_files_with_secrets_are_owner_only()
    {
        var key = await CreateAccessKeyAsync();
        await DeployAsync(("handler.js", "exports.main = async () => ({ statusCode: 200, body: 'ok' });"));

        var data = _server.DataDirectory;
        AssertDataFolderIsClosedToOtherUsers(data);
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(data, "admin-token")));
        if (!FerryTestServer.UsesPostgres)
        {
            foreach (var file in Directory.EnumerateFiles(data, "ferry.db*"))
            {
                Assert.True(OwnerOnlyFile == File.GetUnixFileMode(file), $"{file} is {File.GetUnixFileMode(file)}");
            }
        }

        // The key ring exists once something was encrypted (the access key's secret).
        Assert.NotNull(key);
        AssertTreeIsOwnerOnly(Path.Combine(data, "keys"));
        AssertTreeIsOwnerOnly(Path.Combine(data, "artifacts"));
    }

    [Fact]
    public async Task An_existing_world_readable_data_folder_is_tightened_at_start_up()
    {
        await CreateAccessKeyAsync();
        await _server.StopAsync();
        var data = _server.DataDirectory;
        File.SetUnixFileMode(data, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var loose = Directory.EnumerateFiles(data, "ferry.db*").Append(Path.Combine(data, "admin-token"))
            .Concat(Directory.EnumerateFiles(Path.Combine(data, "keys"))).ToList();
        foreach (var file in loose)
        {
            File.SetUnixFileMode(file, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        await _server.StartAsync();

        AssertDataFolderIsClosedToOtherUsers(data);
        foreach (var file in loose)
        {
            Assert.True(OwnerOnlyFile == File.GetUnixFileMode(file), $"{file} is {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public async Task Access_key_secrets_are_encrypted_in_the_store_and_plain_rows_are_encrypted_at_start_up()
    {
        var key = await CreateAccessKeyAsync();

        var stored = await ReadRawSecretAsync(key.AccessKeyId);
        Assert.DoesNotContain(key.SecretAccessKey, stored, StringComparison.Ordinal);
        Assert.StartsWith("enc:v1:", stored, StringComparison.Ordinal);
        var found = await _server.Services.GetRequiredService<IAccessStore>().FindAccessKeyAsync(key.AccessKeyId, CancellationToken.None);
        Assert.Equal(key.SecretAccessKey, found!.SecretAccessKey);

        // A row as a Ferry before encryption at rest wrote it.
        await _server.StopAsync();
        await WriteRawSecretAsync(key.AccessKeyId, key.SecretAccessKey);
        await _server.StartAsync();

        stored = await ReadRawSecretAsync(key.AccessKeyId);
        Assert.DoesNotContain(key.SecretAccessKey, stored, StringComparison.Ordinal);
        found = await _server.Services.GetRequiredService<IAccessStore>().FindAccessKeyAsync(key.AccessKeyId, CancellationToken.None);
        Assert.Equal(key.SecretAccessKey, found!.SecretAccessKey);
    }

    [Fact]
    public async Task A_deploy_refused_for_a_missing_handler_leaves_no_files_in_the_data_folder()
    {
        await DeployAsync(("handler.js", "exports.main = async () => ({ statusCode: 200, body: 'ok' });"));
        var before = Snapshot();

        var refused = await PostDeploymentAsync(("other.js", new string('x', 100_000)), ("more/data.txt", "some bytes"));

        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, await refused.Content.ReadAsStringAsync());
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("handler_missing", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task A_refused_deploy_keeps_an_archive_that_a_revision_uses()
    {
        var files = ("handler.js", "exports.main = async () => ({ statusCode: 200, body: 'ok' });");
        await DeployAsync(files);
        var before = Snapshot();

        // The same archive, but the manifest names a handler file it does not have.
        var refused = await PostDeploymentAsync("handler: missing.main", files);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(before, Snapshot());
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/atrest/dev/")).StatusCode);
    }

    [Fact]
    public async Task Partial_uploads_and_unreferenced_archives_and_extractions_are_removed_at_start_up()
    {
        await DeployAsync(("handler.js", "exports.main = async () => ({ statusCode: 200, body: 'ok' });"));
        var before = Snapshot();
        await _server.StopAsync();

        // What a kill -9 in the middle of uploads, extractions and installs leaves.
        var data = _server.DataDirectory;
        var orphan = new string('a', 64);
        var leftovers = new[]
        {
            Path.Combine(data, "artifacts", ".incoming", "0123456789abcdef.partial"),
            Path.Combine(data, "artifacts", "aa", orphan + ".zip"),
            Path.Combine(data, "code", orphan, "handler.js"),
            Path.Combine(data, "code", $".{orphan}.extracting-0123", "handler.js"),
            Path.Combine(data, "scratch", "install-x1", "app.zip"),
        };
        foreach (var file in leftovers)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, "left over");
        }

        await _server.StartAsync();

        Assert.All(leftovers, file => Assert.False(File.Exists(file), $"{file} survived the restart"));
        Assert.Equal(before, Snapshot());
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/atrest/dev/")).StatusCode);
    }

    /// <summary>
    /// The data folder is the owner's alone, except that sandbox users (the sandbox access group, carried by no one
    /// else) may pass through it to their mounts.
    /// </summary>
    private static void AssertDataFolderIsClosedToOtherUsers(string data)
    {
        var mode = File.GetUnixFileMode(data);
        Assert.Equal(OwnerOnlyDirectory, mode & OwnerOnlyDirectory);
        Assert.Equal(UnixFileMode.None, mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        if ((mode & UnixFileMode.GroupExecute) != 0)
        {
            Assert.Equal(Ferry.Runtime.Sandbox.SandboxUsers.DefaultAccessGroupId, Ferry.Runtime.Sandbox.HostFileOwnership.GetOwner(data).Gid);
        }
    }

    private static void AssertTreeIsOwnerOnly(string root)
    {
        Assert.True(Directory.Exists(root), $"{root} does not exist");
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(root));
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var expected = entry is DirectoryInfo ? OwnerOnlyDirectory : OwnerOnlyFile;
            Assert.True(expected == entry.UnixFileMode, $"{entry.FullName} is {entry.UnixFileMode}, expected {expected}");
        }
    }

    /// <summary>
    /// Every file of the data folder and every extracted code folder, except the store's own files (they change with
    /// any write).
    /// </summary>
    private SortedSet<string> Snapshot()
    {
        var data = _server.DataDirectory;
        var code = Path.Combine(data, "code");
        return new SortedSet<string>(
            Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories)
                .Concat(Directory.Exists(code) ? Directory.EnumerateDirectories(code) : [])
                .Select(path => Path.GetRelativePath(data, path))
                .Where(path => !path.StartsWith("ferry.db", StringComparison.Ordinal)),
            StringComparer.Ordinal);
    }

    private async Task<CreatedAccessKey> CreateAccessKeyAsync()
    {
        var created = await _server.Http.PostAsync("/api/v1/access-keys", null);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<CreatedAccessKey>(ApiJson.Options))!;
    }

    private async Task DeployAsync((string Path, string Content) file)
    {
        var deployed = await PostDeploymentAsync("handler: handler.main", file);
        Assert.True(deployed.StatusCode == HttpStatusCode.Created, await deployed.Content.ReadAsStringAsync());
    }

    private Task<HttpResponseMessage> PostDeploymentAsync(params (string Path, string Content)[] files)
        => PostDeploymentAsync("handler: handler.main", files);

    /// <summary>Posts a deployment as the CLI does (manifest part, then archive part), without the CLI's own checks.</summary>
    private async Task<HttpResponseMessage> PostDeploymentAsync(string handlerLine, params (string Path, string Content)[] files)
    {
        var app = TestApp.Create($"""
            service: atrest
            provider:
              name: aws
              runtime: nodejs20.x
            functions:
              main:
                {handlerLine}
                events:
                  - httpApi: 'GET /'
            """, files);
        var manifest = ManifestLoader.LoadFile(Path.Combine(app, "serverless.yml"), new ManifestLoadOptions()).Manifest;
        var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = zip.CreateEntry(path);
                entry.LastWriteTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero); // same files, same archive
                await using var stream = entry.Open();
                await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(content));
            }
        }

        archive.Position = 0;
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(ServiceManifestJson.Serialize(manifest)), "manifest");
        var archivePart = new StreamContent(archive);
        archivePart.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(archivePart, "archive", "app.zip");
        return await _server.Http.PostAsync("/api/v1/deployments", form);
    }

    private async Task<string> ReadRawSecretAsync(string accessKeyId)
    {
        if (_server.Store is { } postgres)
        {
            await using var connection = new NpgsqlConnection(postgres);
            await connection.OpenAsync();
            await using var select = new NpgsqlCommand("SELECT secret FROM access_keys WHERE access_key_id = @id;", connection);
            select.Parameters.AddWithValue("id", accessKeyId);
            return (string)(await select.ExecuteScalarAsync())!;
        }

        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, "ferry.db")};Pooling=False");
        await sqlite.OpenAsync();
        await using var command = sqlite.CreateCommand();
        command.CommandText = "SELECT secret FROM access_keys WHERE access_key_id = $id;";
        command.Parameters.AddWithValue("$id", accessKeyId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task WriteRawSecretAsync(string accessKeyId, string secret)
    {
        if (_server.Store is { } postgres)
        {
            await using var connection = new NpgsqlConnection(postgres);
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand("UPDATE access_keys SET secret = @secret WHERE access_key_id = @id;", connection);
            update.Parameters.AddWithValue("id", accessKeyId);
            update.Parameters.AddWithValue("secret", secret);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
            return;
        }

        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, "ferry.db")};Pooling=False");
        await sqlite.OpenAsync();
        await using var command = sqlite.CreateCommand();
        command.CommandText = "UPDATE access_keys SET secret = $secret WHERE access_key_id = $id;";
        command.Parameters.AddWithValue("$id", accessKeyId);
        command.Parameters.AddWithValue("$secret", secret);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
