using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Server.Api;
using Ferry.Server.Resources;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// Buckets and databases declared in serverless.yml, used by real functions through the official SDKs (boto3 from
/// Debian inside the sandbox; AWSSDK.S3 from the test as a developer would), s3 events, and what `ferry remove` keeps.
/// </summary>
public sealed class ResourcesTests : IAsyncLifetime
{
    private const string AlbumYml = """
        service: album
        provider:
          runtime: python3.11
        resources:
          buckets:
            photos:
          databases:
            main:
        functions:
          upload:
            handler: handler.upload
            events:
              - httpApi: PUT /photos/{name}
          seen:
            handler: handler.seen
            events:
              - httpApi: GET /seen
          onPhoto:
            handler: handler.on_photo
            events:
              - s3:
                  bucket: photos
                  event: s3:ObjectCreated:*
                  rules:
                    - prefix: in/
        """;

    // boto3 as on Lambda, with only the endpoint given; the database is a SQLite file the function writes.
    private const string AlbumPy = """
        import base64, json, os, sqlite3
        import boto3

        s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
        BUCKET = os.environ["FERRY_BUCKET_PHOTOS"]

        def _db():
            db = sqlite3.connect(os.environ["FERRY_DATABASE_MAIN_PATH"])
            db.execute("create table if not exists seen (key text, event text)")
            return db

        def upload(event, context):
            key = "in/" + event["pathParameters"]["name"]
            body = event.get("body") or ""
            body = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
            s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="text/plain")
            return {"statusCode": 201, "body": json.dumps({"bucket": BUCKET, "key": key})}

        def on_photo(event, context):
            record = event["Records"][0]
            key = record["s3"]["object"]["key"]
            size = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
            with _db() as db:
                db.execute("insert into seen values (?, ?)", (key, record["eventName"]))
            print("saw", key, size, "bytes")

        def seen(event, context):
            with _db() as db:
                rows = [{"key": k, "event": e} for k, e in db.execute("select key, event from seen order by key")]
            return {"statusCode": 200, "body": json.dumps({"seen": rows, "databaseUrl": os.environ["DATABASE_URL"]})}
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Functions_use_their_bucket_and_database_and_s3_events_invoke_functions()
    {
        var app = TestApp.Create(AlbumYml, ("handler.py", AlbumPy));
        await DeployAsync(app);

        var put = await _server.Http.PutAsync("/album/dev/photos/cat.txt", new StringContent("meow"));
        Assert.True(put.StatusCode == HttpStatusCode.Created, await put.Content.ReadAsStringAsync());
        Assert.Equal("album-dev-photos", (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("bucket").GetString());

        // The upload's ObjectCreated event reached onPhoto through the durable queue; it wrote to the database.
        var seen = await WaitForSeenAsync(1);
        Assert.Equal("in/cat.txt", seen[0].GetProperty("key").GetString());
        Assert.Equal("ObjectCreated:Put", seen[0].GetProperty("event").GetString());
        var logs = await FerryCli.RunAsync(_server.BaseUrl, app, "logs", "--function", "onPhoto");
        Assert.Contains("saw in/cat.txt 4 bytes", logs.Stdout);

        // A developer reaches the same bucket with the AWS SDK and a Ferry access key; only keys under in/ trigger.
        using var s3 = await DeveloperS3ClientAsync();
        var read = await s3.GetObjectAsync("album-dev-photos", "in/cat.txt");
        using (var reader = new StreamReader(read.ResponseStream))
        {
            Assert.Equal("meow", await reader.ReadToEndAsync());
        }

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "album-dev-photos", Key = "other/dog.txt", ContentBody = "woof" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "album-dev-photos", Key = "in/dog.txt", ContentBody = "woof" });
        Assert.Equal(["in/cat.txt", "in/dog.txt"], (await WaitForSeenAsync(2)).Select(row => row.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Remove_keeps_the_data_for_a_later_deploy_and_delete_data_deletes_it()
    {
        var app = TestApp.Create(AlbumYml, ("handler.py", AlbumPy));
        await DeployAsync(app);
        Assert.Equal(HttpStatusCode.Created, (await _server.Http.PutAsync("/album/dev/photos/a.txt", new StringContent("a"))).StatusCode);
        await WaitForSeenAsync(1);

        var removed = await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--yes");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains("kept bucket album-dev-photos, database main", removed.Stdout);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("/album/dev/seen")).StatusCode);

        // Deployed again: the database rows and the bucket's objects are where they were.
        await DeployAsync(app);
        Assert.Single(await WaitForSeenAsync(1));
        using var s3 = await DeveloperS3ClientAsync();
        Assert.Equal(1, (await s3.GetObjectMetadataAsync("album-dev-photos", "in/a.txt")).ContentLength);

        var deleted = await FerryCli.RunAsync(_server.BaseUrl, app, "remove", "--delete-data", "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("deleted bucket album-dev-photos", deleted.Stdout);
        Assert.Contains("deleted database main", deleted.Stdout);
        var gone = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("album-dev-photos", "in/a.txt"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        await DeployAsync(app);
        Assert.Empty(await SeenAsync());
    }

    [Fact]
    public async Task A_bucket_name_belongs_to_one_app_stage_of_a_tenant()
    {
        await DeployAsync(TestApp.Create(AlbumYml, ("handler.py", AlbumPy)));
        var thief = TestApp.Create("""
            service: thief
            provider:
              runtime: python3.11
            resources:
              buckets:
                loot:
                  name: album-dev-photos
            functions:
              fn:
                handler: handler.upload
            """, ("handler.py", AlbumPy));

        var refused = await FerryCli.RunAsync(_server.BaseUrl, thief, "deploy");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Bucket 'album-dev-photos' is already declared by album", refused.Stderr);
    }

    private async Task DeployAsync(string app)
    {
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
    }

    private async Task<AmazonS3Client> DeveloperS3ClientAsync()
    {
        var created = await _server.Http.PostAsync("/api/v1/access-keys", null);
        created.EnsureSuccessStatusCode();
        var key = (await created.Content.ReadFromJsonAsync<CreatedAccessKey>(ApiJson.Options))!;
        var endpoint = _server.Services.GetRequiredService<BucketEndpointService>().Address
                       ?? throw new InvalidOperationException("the bucket endpoint is not running");
        return new AmazonS3Client(new BasicAWSCredentials(key.AccessKeyId, key.SecretAccessKey),
            new AmazonS3Config { ServiceURL = endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "local" });
    }

    private async Task<JsonElement[]> SeenAsync()
    {
        var response = await _server.Http.GetAsync("/album/dev/seen");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("sqlite:///var/ferry/databases/main.sqlite", body.GetProperty("databaseUrl").GetString());
        return [.. body.GetProperty("seen").EnumerateArray()];
    }

    private async Task<JsonElement[]> WaitForSeenAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var seen = await SeenAsync();
            if (seen.Length >= count || DateTime.UtcNow > deadline)
            {
                Assert.True(seen.Length >= count, $"expected {count} s3 events to have been handled, saw {seen.Length}");
                return seen;
            }

            await Task.Delay(200);
        }
    }
}
