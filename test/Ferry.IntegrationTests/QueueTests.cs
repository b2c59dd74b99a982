using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;

namespace Ferry.IntegrationTests;

/// <summary>
/// An app with an <c>AWS::SQS::Queue</c> (and its dead-letter queue): a producer function sends with boto3 (the
/// protocol its botocore speaks: JSON from 1.34, query before) through <c>AWS_ENDPOINT_URL_SQS</c> and the queue URL
/// from <c>Ref</c>; a consumer with an <c>sqs</c> event gets the batches; a message it reports as failed goes to the
/// dead-letter queue after <c>maxReceiveCount</c> receives.
/// </summary>
public sealed class QueueTests : IAsyncLifetime
{
    private const string JobsYml = """
        service: jobs
        provider:
          runtime: python3.11
          environment:
            JOBS_URL: { Ref: Jobs }
            DLQ_NAME: !GetAtt JobsDlq.QueueName
        functions:
          produce:
            handler: handler.produce
            events:
              - httpApi: POST /jobs
          dead:
            handler: handler.dead
            events:
              - httpApi: GET /dead
          consume:
            handler: handler.consume
            events:
              - sqs:
                  arn: !GetAtt Jobs.Arn
                  batchSize: 10
                  functionResponseType: ReportBatchItemFailures
        resources:
          Resources:
            Jobs:
              Type: AWS::SQS::Queue
              Properties:
                VisibilityTimeout: 1
                RedrivePolicy:
                  deadLetterTargetArn: !GetAtt JobsDlq.Arn
                  maxReceiveCount: 1
            JobsDlq:
              Type: AWS::SQS::Queue
        """;

    private const string JobsPy = """
        import json, os
        import boto3

        sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"])

        def produce(event, context):
            sent = sqs.send_message(QueueUrl=os.environ["JOBS_URL"], MessageBody=event["body"],
                                    MessageAttributes={"origin": {"DataType": "String", "StringValue": "produce"}})
            return {"statusCode": 201, "body": json.dumps({"messageId": sent["MessageId"]})}

        def consume(event, context):
            failures = []
            for record in event["Records"]:
                origin = record["messageAttributes"]["origin"]["stringValue"]
                print("consumed", record["body"], "from", origin, "via", record["eventSource"], record["eventSourceARN"].split(":")[-1])
                if record["body"] == "poison":
                    failures.append({"itemIdentifier": record["messageId"]})
            return {"batchItemFailures": failures}

        def dead(event, context):
            url = sqs.get_queue_url(QueueName=os.environ["DLQ_NAME"])["QueueUrl"]
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            return {"statusCode": 200, "body": json.dumps([m["Body"] for m in got])}
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_producer_sends_and_the_sqs_event_consumer_runs_and_failures_reach_the_dead_letter_queue()
    {
        var app = TestApp.Create(JobsYml, ("handler.py", JobsPy));
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());

        var sent = await _server.Http.PostAsync("/jobs/dev/jobs", new StringContent("hello queue"));
        Assert.True(sent.StatusCode == HttpStatusCode.Created, await sent.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty((await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messageId").GetString()));

        var logs = await WaitForLogAsync(app, "consumed hello queue from produce via aws:sqs jobs-dev-Jobs");
        Assert.Contains("consumed hello queue", logs);

        // The consumer reports "poison" as failed: it is received again after the visibility timeout, then moves to the DLQ.
        Assert.Equal(HttpStatusCode.Created, (await _server.Http.PostAsync("/jobs/dev/jobs", new StringContent("poison"))).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        string dead;
        do
        {
            var response = await _server.Http.GetAsync("/jobs/dev/dead");
            dead = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, dead);
        }
        while (dead == "[]" && DateTime.UtcNow < deadline);

        Assert.Equal("[\"poison\"]", dead);
        Assert.Contains("consumed poison", await WaitForLogAsync(app, "consumed poison"));
    }

    private async Task<string> WaitForLogAsync(string app, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var logs = await FerryCli.RunAsync(_server.BaseUrl, app, "logs", "--function", "consume");
            if (logs.Stdout.Contains(expected, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                Assert.True(logs.Stdout.Contains(expected, StringComparison.Ordinal), $"the consumer's log never showed '{expected}':\n{logs}");
                return logs.Stdout;
            }

            await Task.Delay(500);
        }
    }
}
