using Ferry.Manifest.Components;
using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary>
/// Databases of other app stages (<c>resources.databases.NAME: { service, … }</c>), <c>Fn::GetAtt NAME.Url</c>, and the
/// <c>postgresql</c> component whose connection outputs become such uses instead of copied URLs.
/// </summary>
public sealed class DatabaseUseTests
{
    [Fact]
    public void A_database_of_another_app_stage_is_used_with_its_stage_and_region_defaulting_to_the_deploys()
    {
        var manifest = LoadManifest("""
            service: reports
            provider:
              runtime: nodejs20.x
              region: eu-west-1
            resources:
              databases:
                own:
                orders:
                  service: shop
                ledger:
                  service: billing
                  stage: prod
                  region: us-east-1
                  database: main
            functions:
              fn:
                handler: index.handler
                environment:
                  ORDERS: !GetAtt orders.Url
                  LEDGER: { "Fn::Join": ["", ["db=", { "Fn::GetAtt": [ledger, Url] }]] }
            """, Options(stage: "test"));

        Assert.Equal(
            [new DatabaseDeclaration("own"), new DatabaseDeclaration("orders") { Use = new DatabaseUse("shop", "test", "eu-west-1", "orders") },
             new DatabaseDeclaration("ledger") { Use = new DatabaseUse("billing", "prod", "us-east-1", "main") }],
            manifest.Databases);
        var environment = Assert.Single(manifest.Functions).Environment;
        Assert.Equal("${ferry:env:FERRY_DATABASE_ORDERS_URL}", environment["ORDERS"]);
        Assert.Equal("db=${ferry:env:FERRY_DATABASE_LEDGER_URL}", environment["LEDGER"]);
    }

    [Fact]
    public void A_used_database_and_its_url_reference_survive_the_json_sent_to_the_server()
    {
        var manifest = LoadManifest("""
            service: reports
            resources:
              databases:
                orders:
                  service: shop
            functions:
              fn:
                handler: index.handler
                runtime: nodejs20.x
            """);

        var restored = ServiceManifestJson.Deserialize(ServiceManifestJson.Serialize(manifest));
        Assert.Equal(manifest.Databases, restored.Databases);
    }

    [Theory]
    [InlineData("orders:\n  stage: prod", 6, "resources.databases.orders needs 'service'")]
    [InlineData("orders:\n  service: Shop", 7, "resources.databases.orders.service \"Shop\" is not a service name")]
    [InlineData("orders:\n  service: shop\n  database: 9x", 8, "resources.databases.orders.database \"9x\" is not a database name")]
    [InlineData("orders:\n  service: shop\n  password: x", 8, "resources.databases.orders.password is not a database setting")]
    [InlineData("orders:\n  service: reports", 6, "names this app stage's own database 'orders'")]
    public void Wrong_uses_are_errors_naming_the_setting(string declaration, int line, string expected)
    {
        var error = SingleError($"""
            service: reports
            provider:
              runtime: nodejs20.x
            resources:
              databases:
                {declaration.Replace("\n", "\n    ", StringComparison.Ordinal)}
            functions:
              fn:
                handler: index.handler
            """);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Location?.Line);
    }

    [Fact]
    public void GetAtt_of_a_database_knows_only_Url()
    {
        var error = SingleError("""
            service: reports
            resources:
              databases:
                main:
            functions:
              fn:
                handler: index.handler
                runtime: nodejs20.x
                environment:
                  DB: !GetAtt main.Password
            """);
        Assert.Contains("Fn::GetAtt main.Password: Ferry knows the database attribute 'Url' only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgresql_component_is_one_database_named_after_the_instance_and_warns_about_placement()
    {
        var result = Load("""
            app: shop
            stage: dev
            component: postgresql
            name: shop-db
            inputs:
              region: ap-guangzhou
              zone: ap-guangzhou-3
              dBVersion: "13.3"
              extranetAccess: true
              vpcConfig:
                vpcId: vpc-1
            """);

        var manifest = result.Manifest;
        Assert.Equal(("shop-db", "dev", "ap-guangzhou"), (manifest.Service, manifest.Provider.Stage, manifest.Provider.Region));
        Assert.Equal([new DatabaseDeclaration("shop-db")], manifest.Databases);
        Assert.Empty(manifest.Functions);
        foreach (var key in new[] { "zone", "dBVersion", "extranetAccess", "vpcConfig" })
        {
            Assert.Contains(result.Warnings, w => w.Message.StartsWith($"inputs.{key} is ignored", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(result.Warnings, w => w.Message.Contains("inputs.region", StringComparison.Ordinal));
    }

    [Fact]
    public void Postgresql_component_needs_a_name_that_can_name_a_database()
    {
        Assert.Contains(Errors("component: postgresql\nname: 1db\n"), e => e.Message.Contains("names its database", StringComparison.Ordinal));
    }

    [Fact]
    public void Reading_a_database_components_connection_uses_the_database_instead_of_copying_its_url()
    {
        var database = new DatabaseComponentOutput("shop-db", "dev", "ap-guangzhou", "shop-db");
        var result = Load("""
            app: shop
            stage: dev
            component: scf
            name: storefront
            inputs:
              src: ./
              runtime: Python3.11
              environment:
                variables:
                  DIRECT: ${output:${stage}:${app}:shop-db.connectionString}
                  PRIVATE: ${output:${stage}:${app}:shop-db.private.connectionString}
                  WRAPPED: "url=${output:${stage}:${app}:shop-db.url};app=${app}"
                  REGION: ${output:${stage}:${app}:shop-db.region}
            """, Options() with
        {
            ComponentOutput = reference => reference.Instance != "shop-db" ? null : reference.Key switch
            {
                "region" => "ap-guangzhou",
                "connectionString" or "private.connectionString" or "url" => database.ToString(),
                _ => null,
            },
        });

        var manifest = result.Manifest;
        Assert.Equal([new DatabaseDeclaration("shop-db") { Use = new DatabaseUse("shop-db", "dev", "ap-guangzhou", "shop-db") }], manifest.Databases);
        var environment = Assert.Single(manifest.Functions).Environment;
        Assert.Equal("${ferry:env:FERRY_DATABASE_SHOP_DB_URL}", environment["DIRECT"]);
        Assert.Equal("${ferry:env:FERRY_DATABASE_SHOP_DB_URL}", environment["PRIVATE"]);
        Assert.Equal("url=${ferry:env:FERRY_DATABASE_SHOP_DB_URL};app=shop", environment["WRAPPED"]);
        Assert.Equal("ap-guangzhou", environment["REGION"]);
        Assert.DoesNotContain("ferry-database://", ServiceManifestJson.Serialize(manifest), StringComparison.Ordinal);
    }

    [Fact]
    public void Database_component_output_names_the_database_and_parses_back()
    {
        var output = new DatabaseComponentOutput("shop-db", "prod", "ap-guangzhou", "shop-db");
        Assert.Equal("ferry-database://shop-db/prod@ap-guangzhou/shop-db", output.ToString());
        Assert.Equal(output, DatabaseComponentOutput.TryParse(output.ToString()));
        Assert.Null(DatabaseComponentOutput.TryParse("postgresql://user:secret@host/db"));
        Assert.Null(DatabaseComponentOutput.TryParse("ferry-database://shop-db/prod/shop-db"));
    }

    [Fact]
    public void A_component_file_says_whether_it_is_a_database_component()
    {
        var folder = Directory.CreateTempSubdirectory("ferry-dbcomp-");
        try
        {
            var database = Path.Combine(folder.FullName, "db.yml");
            File.WriteAllText(database, "app: shop\ncomponent: postgresql\nname: shop-db\n");
            var reader = Path.Combine(folder.FullName, "front.yml");
            File.WriteAllText(reader, "app: shop\ncomponent: scf\nname: front\ninputs:\n  environment:\n    variables:\n      DB: ${output:${stage}:${app}:shop-db.connectionString}\n");

            Assert.True(ComponentFile.TryRead(database)!.IsDatabase);
            var front = ComponentFile.TryRead(reader)!;
            Assert.False(front.IsDatabase);
            Assert.Equal(["shop-db"], front.Needs);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
