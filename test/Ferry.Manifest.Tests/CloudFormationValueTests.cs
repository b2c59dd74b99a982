using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary><c>${aws:…}</c>, <c>${cf:…}</c> and CloudFormation intrinsics in <c>environment</c>.</summary>
public sealed class CloudFormationValueTests
{
    private static string Manifest(string environment, string resources = "", string functions = "") => $$"""
        service: shop
        provider:
          runtime: nodejs20.x
          stage: prod
        functions:
          get-order:
            handler: index.handler
            environment:
        {{environment}}
            events:
              - s3: photo-uploads
        {{functions}}
        resources:
          Resources:
            Uploads:
              Type: AWS::S3::Bucket
              Properties:
                BucketName: shop-uploads
            UsersTable:
              Type: AWS::DynamoDB::Table
              Properties:
                TableName: shop-users
                AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
                KeySchema: [{ AttributeName: id, KeyType: HASH }]
            Alerts:
              Type: AWS::SNS::Topic
        {{resources}}
        """;

    private static IReadOnlyDictionary<string, string> Environment(string environment, ManifestLoadOptions? options = null) =>
        LoadManifest(Manifest(environment), options).Functions[0].Environment;

    [Fact]
    public void Aws_region_is_the_deploys_region_and_account_id_is_ferrys()
    {
        const string Entries = """
                  REGION: ${aws:region}
                  ACCOUNT: ${aws:accountId}
                  ARN: arn:aws:dynamodb:${aws:region}:${aws:accountId}:table/orders
            """;

        var byDefault = Environment(Entries);
        Assert.Equal("local", byDefault["REGION"]);
        Assert.Equal("000000000000", byDefault["ACCOUNT"]);
        Assert.Equal("arn:aws:dynamodb:local:000000000000:table/orders", byDefault["ARN"]);
        Assert.Equal("eu-west-1", Environment(Entries, Options() with { Region = "eu-west-1" })["REGION"]);
    }

    [Fact]
    public void Cf_outputs_are_named_as_unavailable_unless_a_fallback_is_given()
    {
        var error = SingleError(Manifest("""
                  URL: ${cf:other-stack-prod.ServiceEndpoint}
            """));

        AssertAt(error, 9, 12);
        Assert.Equal("cannot resolve '${cf:other-stack-prod.ServiceEndpoint}': CloudFormation stack outputs are not available on Ferry, "
            + "which deploys no CloudFormation stacks; give a fallback or use ${param:…} and no fallback is given", error.Message);
        Assert.Equal("http://x", Environment("      URL: ${cf:other.Url, 'http://x'}")["URL"]);
    }

    [Fact]
    public void Unknown_aws_variables_are_errors_naming_the_known_ones()
    {
        var error = SingleError(Manifest("      X: ${aws:partition}"));

        Assert.Equal("'${aws:partition}' is not supported; Ferry knows ${aws:region} and ${aws:accountId}", error.Message);
    }

    [Fact]
    public void Ref_GetAtt_Join_and_Sub_resolve_buckets_functions_and_pseudo_parameters_in_long_and_short_forms()
    {
        var env = Environment("""
                  BUCKET: { Ref: Uploads }
                  BUCKET_TAG: !Ref Uploads
                  BUCKET_ARN:
                    Fn::GetAtt: [Uploads, Arn]
                  BUCKET_ARN_TAG: !GetAtt Uploads.Arn
                  EVENT_BUCKET: !Ref S3BucketPhotouploads
                  FUNCTION: !Ref GetDashorderLambdaFunction
                  FUNCTION_ARN: !GetAtt [GetDashorderLambdaFunction, Arn]
                  OBJECTS:
                    Fn::Join: ['', ['arn:aws:s3:::', { Ref: Uploads }, '/*']]
                  OBJECTS_TAG: !Join [':', [a, !Ref Uploads, !Ref AWS::Region]]
                  SUB: !Sub '${Uploads}-${AWS::Region}-${AWS::AccountId}-${AWS::StackName}-${!Literal}'
                  SUB_ATTRIBUTE:
                    Fn::Sub: '${Uploads.Arn}/*'
                  SUB_VARIABLES: !Sub ['${Name}-${self:service}', { Name: !Ref Uploads }]
            """);

        Assert.Equal("shop-uploads", env["BUCKET"]);
        Assert.Equal("shop-uploads", env["BUCKET_TAG"]);
        Assert.Equal("arn:aws:s3:::shop-uploads", env["BUCKET_ARN"]);
        Assert.Equal("arn:aws:s3:::shop-uploads", env["BUCKET_ARN_TAG"]);
        Assert.Equal("photo-uploads", env["EVENT_BUCKET"]);
        Assert.Equal("shop-prod-get-order", env["FUNCTION"]);
        Assert.Equal("arn:aws:lambda:local:000000000000:function:shop-prod-get-order", env["FUNCTION_ARN"]);
        Assert.Equal("arn:aws:s3:::shop-uploads/*", env["OBJECTS"]);
        Assert.Equal("a:shop-uploads:local", env["OBJECTS_TAG"]);
        Assert.Equal("shop-uploads-local-000000000000-shop-prod-${Literal}", env["SUB"]);
        Assert.Equal("shop-uploads-shop", env["SUB_VARIABLES"]);
        Assert.Equal("arn:aws:s3:::shop-uploads/*", env["SUB_ATTRIBUTE"]);
    }

    [Fact]
    public void References_to_resources_Ferry_does_not_provide_are_errors_naming_the_resource_and_what_works()
    {
        var errors = Errors(Manifest("""
                  TOPIC: { Ref: Alerts }
                  QUEUE: !GetAtt OrdersQueue.Arn
                  SPLIT: !Split [',', 'a,b']
                  DOMAIN: !GetAtt Uploads.DomainName
            """));

        Assert.Collection(errors,
            e =>
            {
                AssertAt(e, 9, 14);
                Assert.Equal("functions.get-order.environment.TOPIC: Ref \"Alerts\" can't be resolved: resources.Resources.Alerts is an "
                    + "AWS::SNS::Topic, which Ferry does not provide; Ferry resolves references to its buckets (AWS::S3::Bucket, resources.buckets), "
                    + "tables (AWS::DynamoDB::Table), queues (AWS::SQS::Queue), databases (resources.databases, GetAtt NAME.Url), functions (GetDashorderLambdaFunction) and to AWS::Region, AWS::AccountId and AWS::StackName", e.Message);
            },
            e =>
            {
                AssertAt(e, 10, 14);
                Assert.StartsWith("functions.get-order.environment.QUEUE: Fn::GetAtt OrdersQueue.Arn can't be resolved: there is no resource \"OrdersQueue\" in resources.Resources", e.Message);
            },
            e => Assert.Equal("functions.get-order.environment.SPLIT: Fn::Split is not supported by Ferry; it evaluates Ref, Fn::GetAtt, Fn::Join and Fn::Sub", e.Message),
            e => Assert.Equal("functions.get-order.environment.DOMAIN: Fn::GetAtt Uploads.DomainName: Ferry knows the bucket attribute 'Arn' only (use Ref for its name)", e.Message));
    }

    [Fact]
    public void Provider_environment_may_refer_to_buckets_and_a_bucket_name_may_use_sub()
    {
        const string Yaml = """
            service: shop
            provider:
              runtime: nodejs20.x
              environment:
                BUCKET: !Ref Photos
            functions:
              api:
                handler: index.handler
            resources:
              Resources:
                Photos:
                  Type: AWS::S3::Bucket
                  Properties:
                    BucketName: !Sub '${AWS::StackName}-photos'
            """;

        var manifest = LoadManifest(Yaml);

        Assert.Equal("shop-dev-photos", Assert.Single(manifest.Buckets).Name);
        Assert.Equal("shop-dev-photos", manifest.Functions[0].Environment["BUCKET"]);
    }

    [Fact]
    public void Unsupported_events_written_as_a_bare_name_are_warnings()
    {
        var result = Load("""
            service: skill
            provider:
              runtime: nodejs20.x
            functions:
              skill:
                handler: handler.skill
                events:
                  - alexaSkill
                  - alexaSmartHome: amzn1.ask.skill.x
            """);

        Assert.Collection(result.Warnings,
            w => { AssertAt(w, 8, 9); Assert.Equal("event type 'alexaSkill' is not supported yet; ignored", w.Message); },
            w => { AssertAt(w, 9, 9); Assert.Equal("event type 'alexaSmartHome' is not supported yet; ignored", w.Message); });
    }
}
