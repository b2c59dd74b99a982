using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class TableResourceTests
{
    [Fact]
    public void DynamoDB_tables_are_declared_with_keys_and_indexes_and_references_resolve_to_them()
    {
        var result = Load("""
            service: shop
            provider:
              runtime: nodejs20.x
              environment:
                ORDERS: { Ref: OrdersTable }
                ORDERS_ARN: !GetAtt OrdersTable.Arn
                USERS: !Ref UsersTable
            resources:
              Resources:
                OrdersTable:
                  Type: AWS::DynamoDB::Table
                  Properties:
                    TableName: ${self:service}-orders-${sls:stage}
                    BillingMode: PAY_PER_REQUEST
                    AttributeDefinitions:
                      - { AttributeName: customer, AttributeType: S }
                      - { AttributeName: created, AttributeType: N }
                      - { AttributeName: status, AttributeType: S }
                    KeySchema:
                      - { AttributeName: customer, KeyType: HASH }
                      - { AttributeName: created, KeyType: RANGE }
                    GlobalSecondaryIndexes:
                      - IndexName: by-status
                        KeySchema: [{ AttributeName: status, KeyType: HASH }]
                        Projection: { ProjectionType: INCLUDE, NonKeyAttributes: [total] }
                        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }
                    LocalSecondaryIndexes:
                      - IndexName: by-status-local
                        KeySchema: [{ AttributeName: customer, KeyType: HASH }, { AttributeName: status, KeyType: RANGE }]
                        Projection: { ProjectionType: KEYS_ONLY }
                    StreamSpecification:
                      StreamViewType: NEW_IMAGE
                UsersTable:
                  Type: AWS::DynamoDB::Table
                  Properties:
                    AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
                    KeySchema: [{ AttributeName: id, KeyType: HASH }]
            functions:
              fn:
                handler: index.handler
            """);

        var manifest = result.Manifest;
        Assert.Equal(["shop-orders-dev", "shop-dev-UsersTable"], manifest.Tables.Select(t => t.Name));
        var orders = manifest.Tables[0];
        Assert.Equal(new TableKey("customer", "created"), orders.Key);
        Assert.Equal("N", orders.AttributeTypes["created"]);
        var global = Assert.Single(orders.GlobalIndexes);
        Assert.Equal(("by-status", new TableKey("status", null), "INCLUDE"), (global.Name, global.Key, global.Projection));
        Assert.Equal(["total"], global.NonKeyAttributes);
        Assert.Equal("KEYS_ONLY", Assert.Single(orders.LocalIndexes).Projection);

        var environment = manifest.Functions[0].Environment;
        Assert.Equal("shop-orders-dev", environment["ORDERS"]);
        Assert.Equal("arn:aws:dynamodb:local:000000000000:table/shop-orders-dev", environment["ORDERS_ARN"]);
        Assert.Equal("shop-dev-UsersTable", environment["USERS"]);

        var warning = Assert.Single(result.Warnings);
        Assert.Contains("resources.Resources.OrdersTable.Properties.StreamSpecification is not provided by Ferry's tables", warning.Message);
        Assert.Equal(31, warning.Location!.Line);

        // The manifest travels as JSON from the CLI to the server.
        var back = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));
        Assert.Equal(orders.GlobalIndexes[0].NonKeyAttributes, back.Tables[0].GlobalIndexes[0].NonKeyAttributes);
        Assert.Equal(orders.AttributeTypes, back.Tables[0].AttributeTypes);
    }

    [Fact]
    public void Bad_table_definitions_are_errors_at_their_line()
    {
        var errors = Errors("""
            service: shop
            resources:
              Resources:
                NoKey:
                  Type: AWS::DynamoDB::Table
                  Properties:
                    AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
                BadType:
                  Type: AWS::DynamoDB::Table
                  Properties:
                    AttributeDefinitions:
                      - { AttributeName: id, AttributeType: STRING }
                    KeySchema: [{ AttributeName: id, KeyType: HASH }]
                Undefined:
                  Type: AWS::DynamoDB::Table
                  Properties:
                    TableName: x
                    AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
                    KeySchema: [{ AttributeName: pk, KeyType: HASH }]
            functions:
              fn:
                handler: index.handler
                runtime: nodejs20.x
            """);

        Assert.Collection(errors,
            e => { AssertAt(e, 4, 5); Assert.Contains("needs Properties.AttributeDefinitions and Properties.KeySchema", e.Message); },
            e => { AssertAt(e, 12, 13); Assert.Contains("AttributeType of S, N or B, got \"STRING\"", e.Message); },
            e => { AssertAt(e, 17, 20); Assert.Contains("\"x\" is not a valid table name", e.Message); });
    }
}
