using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.IntegrationTests.Infrastructure;
using Ferry.Resources.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.IntegrationTests;

/// <summary>
/// An <c>AWS::DynamoDB::Table</c> declared in serverless.yml, provisioned at deploy and used by a real function
/// through boto3 with the environment Ferry gives it (AWS_ENDPOINT_URL_DYNAMODB, the function's key, TABLE from !Ref).
/// </summary>
public sealed class TablesTests : IAsyncLifetime
{
    private const string TodoYml = """
        service: todos
        provider:
          runtime: python3.11
          environment:
            TABLE: !Ref TodosTable
        resources:
          Resources:
            TodosTable:
              Type: AWS::DynamoDB::Table
              Properties:
                TableName: ${self:service}-${sls:stage}-todos
                BillingMode: PAY_PER_REQUEST
                AttributeDefinitions:
                  - { AttributeName: owner, AttributeType: S }
                  - { AttributeName: id, AttributeType: N }
                KeySchema:
                  - { AttributeName: owner, KeyType: HASH }
                  - { AttributeName: id, KeyType: RANGE }
        functions:
          add:
            handler: handler.add
            events:
              - httpApi: POST /todos/{owner}
          list:
            handler: handler.list_todos
            events:
              - httpApi: GET /todos/{owner}
        """;

    // boto3 as on Lambda with the endpoint given (the sandbox's Debian boto3 1.26 predates AWS_ENDPOINT_URL_DYNAMODB;
    // newer SDKs read it themselves); the credentials come from the environment.
    private const string TodoPy = """
        import json, os
        import boto3
        from boto3.dynamodb.conditions import Key

        table = boto3.resource("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"]).Table(os.environ["TABLE"])

        def add(event, context):
            owner = event["pathParameters"]["owner"]
            body = json.loads(event.get("body") or "{}")
            counter = table.update_item(Key={"owner": owner, "id": 0}, UpdateExpression="ADD next_id :one",
                                        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")
            new_id = int(counter["Attributes"]["next_id"])
            table.put_item(Item={"owner": owner, "id": new_id, "text": body["text"]}, ConditionExpression="attribute_not_exists(id)")
            return {"statusCode": 201, "body": json.dumps({"id": new_id})}

        def list_todos(event, context):
            owner = event["pathParameters"]["owner"]
            items = table.query(KeyConditionExpression=Key("owner").eq(owner) & Key("id").gt(0), ScanIndexForward=False)["Items"]
            return {"statusCode": 200, "body": json.dumps([{"id": int(i["id"]), "text": i["text"]} for i in items])}
        """;

    private FerryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await FerryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_declared_table_is_provisioned_and_functions_write_and_query_it_with_boto3()
    {
        var app = TestApp.Create(TodoYml, ("handler.py", TodoPy));
        var deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());

        foreach (var text in new[] { "milk", "bread" })
        {
            var added = await _server.Http.PostAsync("/todos/dev/todos/ann", JsonContent.Create(new { text }));
            if (added.StatusCode != HttpStatusCode.Created)
            {
                var logs = await FerryCli.RunAsync(_server.BaseUrl, app, "logs", "--function", "add");
                Assert.Fail($"{await added.Content.ReadAsStringAsync()}\n{logs}");
            }
        }

        var listed = await _server.Http.GetAsync("/todos/dev/todos/ann");
        var body = await listed.Content.ReadAsStringAsync();
        Assert.True(listed.IsSuccessStatusCode, body);
        var todos = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(t => (t.GetProperty("id").GetInt32(), t.GetProperty("text").GetString())).ToList();
        Assert.Equal([(2, "bread"), (1, "milk")], todos);

        // The table lives in the app stage's own database under the server's data folder.
        var store = _server.Services.GetRequiredService<TableStore>();
        var tenantTables = await store.ListTablesAsync(new TableScope(Ferry.Server.Access.AdminTokenBootstrap.DefaultTenant, "todos", "dev", "local"), CancellationToken.None);
        Assert.Equal(["todos-dev-todos"], tenantTables);

        // Redeploying (provisioning again) keeps the items.
        deployed = await FerryCli.RunAsync(_server.BaseUrl, app, "deploy");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        Assert.Equal(2, JsonDocument.Parse(await _server.Http.GetStringAsync("/todos/dev/todos/ann")).RootElement.GetArrayLength());
    }
}
