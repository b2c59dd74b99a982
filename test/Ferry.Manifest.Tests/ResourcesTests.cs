using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class ResourcesTests
{
    [Fact]
    public void Short_forms_declare_buckets_and_databases()
    {
        var manifest = LoadManifest("""
            service: photos
            provider:
              runtime: nodejs20.x
            resources:
              buckets:
                uploads:
                thumbs:
                  name: my-thumbs
              databases:
                main:
                audit-log: {}
            functions:
              fn:
                handler: index.handler
            """, Options(stage: "prod"));

        Assert.Equal([new BucketDeclaration("uploads", "photos-prod-uploads"), new BucketDeclaration("thumbs", "my-thumbs")], manifest.Buckets);
        Assert.Equal([new DatabaseDeclaration("main"), new DatabaseDeclaration("audit-log")], manifest.Databases);
    }

    [Fact]
    public void CloudFormation_buckets_are_provisioned_and_other_types_warn()
    {
        var result = Load("""
            service: photos
            provider:
              runtime: nodejs20.x
            resources:
              Resources:
                PhotosBucket:
                  Type: AWS::S3::Bucket
                  Properties:
                    BucketName: photos-${sls:stage}
                Topic:
                  Type: AWS::SNS::Topic
              Outputs:
                Name:
                  Value: x
            functions:
              fn:
                handler: index.handler
                environment:
                  BUCKET: ${self:resources.Resources.PhotosBucket.Properties.BucketName}
            """);

        Assert.Equal([new BucketDeclaration("PhotosBucket", "photos-dev")], result.Manifest.Buckets);
        Assert.Equal("photos-dev", result.Manifest.Functions[0].Environment["BUCKET"]);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains("AWS::SNS::Topic", warning.Message);
        Assert.Contains("resources.Resources.Topic", warning.Message);
    }

    [Fact]
    public void S3_events_in_both_forms_and_implicit_buckets()
    {
        var manifest = LoadManifest("""
            service: photos
            provider:
              runtime: python3.11
            resources:
              buckets:
                uploads:
            functions:
              resize:
                handler: h.resize
                events:
                  - s3: uploads
                  - s3:
                      bucket: photos-dev-uploads
                      event: s3:ObjectRemoved:*
                      rules:
                        - prefix: images/
                        - suffix: .jpg
              audit:
                handler: h.audit
                events:
                  - s3: audit-trail
                  - s3:
                      bucket: shared-bucket
                      existing: true
            """);

        Assert.Equal(
            [new BucketEvent("photos-dev-uploads", "s3:ObjectCreated:*"), new BucketEvent("photos-dev-uploads", "s3:ObjectRemoved:*", "images/", ".jpg")],
            manifest.Functions[0].BucketEvents);
        Assert.Equal([new BucketEvent("audit-trail", "s3:ObjectCreated:*"), new BucketEvent("shared-bucket", "s3:ObjectCreated:*")], manifest.Functions[1].BucketEvents);
        // The event's bucket that is not declared is created for it; an 'existing' one is not.
        Assert.Equal(["photos-dev-uploads", "audit-trail"], manifest.Buckets.Select(b => b.Name));
    }

    [Fact]
    public void Bad_resources_are_located_errors()
    {
        var errors = Errors("""
            service: photos
            resources:
              buckets:
                a:
                  name: Not_Valid
                b:
                  size: 3
              databases:
                9bad:
                main:
                  engine: postgres
              Resources:
                Untyped:
                  Properties: {}
            functions:
              fn:
                handler: index.handler
                runtime: nodejs20.x
                events:
                  - s3:
                      event: s3:ObjectCreated:*
                  - s3:
                      bucket: x
                      event: s3:Whatever
                      rules:
                        - prefix: a/
                        - prefix: b/
                        - middle: c
            """);

        Assert.Collection(errors,
            e => { AssertAt(e, 5, 13); Assert.Contains("not a valid bucket name", e.Message); },
            e => { AssertAt(e, 7, 7); Assert.Contains("the only one is 'name'", e.Message); },
            e => { AssertAt(e, 9, 5); Assert.Contains("database name \"9bad\" is invalid", e.Message); },
            e => { AssertAt(e, 11, 7); Assert.Contains("engine is not a database setting; a database is declared with nothing, or another app stage's database is used with 'service'", e.Message); },
            e => { AssertAt(e, 13, 5); Assert.Contains("needs a 'Type'", e.Message); },
            e => Assert.Contains("needs 'bucket'", e.Message),
            e => Assert.Contains("\"x\" is not a valid bucket name", e.Message),
            e => Assert.Contains("\"s3:Whatever\" is not an S3 event type", e.Message),
            e => Assert.Contains("only one prefix rule", e.Message),
            e => Assert.Contains("rules[2].middle is not a rule", e.Message)
        );
    }

    [Fact]
    public void Web_functions_cannot_take_s3_events()
    {
        var error = SingleError("""
            service: photos
            functions:
              web:
                command: node server.js
                events:
                  - s3: uploads-bucket
            """);
        Assert.Contains("s3 and sqs events need an event function", error.Message);
    }

    [Fact]
    public void Resources_survive_the_json_round_trip()
    {
        var manifest = LoadManifest("""
            service: photos
            provider:
              runtime: nodejs20.x
            resources:
              buckets:
                uploads:
              databases:
                main:
            functions:
              fn:
                handler: index.handler
                events:
                  - s3: uploads
            """);
        var copy = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));
        Assert.Equal(manifest.Buckets, copy.Buckets);
        Assert.Equal(manifest.Databases, copy.Databases);
        Assert.Equal(manifest.Functions[0].BucketEvents, copy.Functions[0].BucketEvents);
    }
}
