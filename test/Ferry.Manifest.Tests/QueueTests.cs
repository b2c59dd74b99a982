using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary><c>AWS::SQS::Queue</c> resources, <c>sqs</c> events and references to queues.</summary>
public sealed class QueueTests
{
    private const string App = """
        service: shop
        provider:
          runtime: nodejs20.x
          environment:
            JOBS_URL: { Ref: Jobs }
            JOBS_ARN: !GetAtt Jobs.Arn
            JOBS_NAME: { Fn::GetAtt: [Jobs, QueueName] }
        functions:
          worker:
            handler: worker.handler
            events:
              - sqs:
                  arn: { Fn::GetAtt: [Jobs, Arn] }
                  batchSize: 5
                  maximumBatchingWindow: 2
                  functionResponseType: ReportBatchItemFailures
              - sqs: arn:aws:sqs:local:000000000000:shop-orders.fifo
        resources:
          Resources:
            Jobs:
              Type: AWS::SQS::Queue
              Properties:
                VisibilityTimeout: 60
                DelaySeconds: 1
                RedrivePolicy:
                  deadLetterTargetArn: !GetAtt JobsDlq.Arn
                  maxReceiveCount: 3
            JobsDlq:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: shop-jobs-dlq
                MessageRetentionPeriod: 1209600
            Orders:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: shop-orders.fifo
                FifoQueue: true
                ContentBasedDeduplication: true
                Tags: []
        """;

    [Fact]
    public void Queues_are_read_with_their_settings_and_dead_letter_queue()
    {
        var manifest = LoadManifest(App);

        Assert.Equal(["shop-dev-Jobs", "shop-jobs-dlq", "shop-orders.fifo"], manifest.Queues.Select(q => q.Name));
        var jobs = manifest.Queues[0];
        Assert.Equal(60, jobs.VisibilityTimeout);
        Assert.Equal(1, jobs.DelaySeconds);
        Assert.Equal("shop-jobs-dlq", jobs.DeadLetterQueue);
        Assert.Equal(3, jobs.MaxReceiveCount);
        Assert.Equal(1_209_600, manifest.Queues[1].MessageRetentionPeriod);
        Assert.True(manifest.Queues[2].Fifo);
        Assert.True(manifest.Queues[2].ContentBasedDeduplication);
    }

    [Fact]
    public void Sqs_events_name_their_queue_by_arn_or_get_att()
    {
        var worker = LoadManifest(App).Functions[0];

        Assert.Equal([new QueueEvent("shop-dev-Jobs", 5, 2, ReportBatchItemFailures: true), new QueueEvent("shop-orders.fifo")], worker.QueueEvents);
    }

    [Fact]
    public void Ref_is_the_queue_url_and_get_att_its_arn_and_name()
    {
        var environment = LoadManifest(App).Functions[0].Environment;

        Assert.Equal("http://${ferry:s3:host}:${ferry:s3:port}/000000000000/shop-dev-Jobs", environment["JOBS_URL"]);
        Assert.Equal("arn:aws:sqs:local:000000000000:shop-dev-Jobs", environment["JOBS_ARN"]);
        Assert.Equal("shop-dev-Jobs", environment["JOBS_NAME"]);
    }

    [Fact]
    public void Unknown_queue_properties_warn_naming_the_key()
    {
        var warnings = Load(App).Warnings;

        Assert.Contains(warnings, w => w.Message.Contains("resources.Resources.Orders.Properties.Tags", StringComparison.Ordinal));
    }

    [Fact]
    public void An_sqs_event_of_a_queue_the_app_does_not_declare_is_an_error_at_its_line()
    {
        var error = SingleError(App.Replace("arn:aws:sqs:local:000000000000:shop-orders.fifo", "arn:aws:sqs:local:000000000000:elsewhere", StringComparison.Ordinal));

        AssertAt(error, 17, 9);
        Assert.Contains("the sqs event's queue 'elsewhere' is not a queue of this app", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fifo_queue_name_must_end_with_fifo()
    {
        var error = SingleError(App.Replace("QueueName: shop-orders.fifo", "QueueName: shop-orders", StringComparison.Ordinal)
            .Replace("- sqs: arn:aws:sqs:local:000000000000:shop-orders.fifo", "- sqs: arn:aws:sqs:local:000000000000:shop-jobs-dlq", StringComparison.Ordinal));

        AssertAt(error, 36, 20);
        Assert.Contains("the name of a FIFO queue must end with '.fifo'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Queues_survive_the_json_round_trip()
    {
        var manifest = LoadManifest(App);
        var json = System.Text.Json.JsonSerializer.Serialize(manifest, ServiceManifestJson.Options);
        var back = System.Text.Json.JsonSerializer.Deserialize<ServiceManifest>(json, ServiceManifestJson.Options)!;

        Assert.Equal(manifest.Queues, back.Queues);
        Assert.Equal(manifest.Functions[0].QueueEvents, back.Functions[0].QueueEvents);
    }
}

/// <summary>Queues in a manifest that arrived as JSON (the server can't trust the CLI).</summary>
public sealed class QueueValidationTests
{
    private static ServiceManifest Valid() => Manifests.LoadManifest("""
        service: shop
        provider:
          runtime: nodejs20.x
        functions:
          worker:
            handler: worker.handler
            events:
              - sqs: { arn: !GetAtt Jobs.Arn }
        resources:
          Resources:
            Jobs:
              Type: AWS::SQS::Queue
        """);

    [Fact]
    public void A_loaded_manifest_with_queues_is_valid()
        => Assert.Empty(ServiceManifestValidator.Validate(Valid()));

    [Fact]
    public void Bad_queue_names_and_events_of_other_queues_are_refused()
    {
        var manifest = Valid();
        var tampered = manifest with
        {
            Queues = [new QueueDeclaration("Jobs", "../../etc"), new QueueDeclaration("Big", "big") { VisibilityTimeout = 50_000 }],
            Functions = [manifest.Functions[0] with { QueueEvents = [new QueueEvent("someone-elses")] }],
        };

        var problems = ServiceManifestValidator.Validate(tampered).Select(p => p.Message).ToList();
        Assert.Contains(problems, p => p.Contains("queue name \"../../etc\" is invalid", StringComparison.Ordinal) || p.Contains("queue name '../../etc' is invalid", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("queue 'big' has a setting outside SQS's range", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("which is not a queue of this app", StringComparison.Ordinal));
    }
}
