using Ferry.Manifest.Components;
using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

/// <summary>The Serverless Components format (Tencent's <c>component: scf | multi-scf | express …</c>) read as serverless.yml.</summary>
public sealed class ComponentFormatTests
{
    private const string Scf = """
        app: shop
        stage: dev
        component: scf
        name: orders
        inputs:
          src:
            src: ./code
            exclude:
              - .env
          handler: index.main_handler
          runtime: Nodejs12.16
          region: ap-guangzhou
          memorySize: 256
          timeout: 20
          environment:
            variables:
              TABLE: orders-${stage}
              APP: ${app}
          events:
            - apigw:
                name: api
                parameters:
                  endpoints:
                    - path: /orders/{id}
                      method: GET
                    - path: /orders
                      method: POST
                      enableCORS: true
            - timer:
                name: nightly
                parameters:
                  cronExpression: '0 0 3 * * * *'
                  enable: true
                  argument: cleanup
        """;

    [Fact]
    public void Scf_component_is_one_event_function_with_routes_and_a_timer()
    {
        var result = Load(Scf);
        var manifest = result.Manifest;

        Assert.Equal("orders", manifest.Service);
        Assert.Equal("dev", manifest.Provider.Stage);
        Assert.Equal("ap-guangzhou", manifest.Provider.Region);
        var function = Assert.Single(manifest.Functions);
        Assert.Equal("orders", function.Name);
        Assert.Equal("code/index.main_handler", function.Handler);
        Assert.Equal("nodejs18.x", function.Runtime);
        Assert.Equal(256, function.MemorySize);
        Assert.Equal(20, function.Timeout);
        Assert.Equal("orders-dev", function.Environment["TABLE"]);
        Assert.Equal("shop", function.Environment["APP"]);
        Assert.Equal([("GET", "/orders/{id}"), ("POST", "/orders")], function.Routes.Select(r => (r.Method, r.Path)));
        Assert.Equal(HttpRoute.PayloadV1, function.Routes[0].PayloadFormat);
        Assert.Null(function.Routes[0].Cors);
        Assert.NotNull(function.Routes[1].Cors);
        var schedule = Assert.Single(function.Schedules);
        Assert.Equal("cron(0 3 * * ? *)", schedule.Expression);
        Assert.True(schedule.Enabled);
        Assert.Contains("cleanup", schedule.Input);
        Assert.Equal(["!**", "code/**", "!code/.env"], manifest.PackagePatterns);
        Assert.Contains(result.Warnings, w => w.Message.Contains("Nodejs12.16' runs as nodejs18.x", StringComparison.Ordinal));
    }

    [Fact]
    public void Stage_option_wins_over_the_files_stage_and_reaches_stage_variables()
    {
        var function = Assert.Single(LoadManifest(Scf, Options(stage: "prod")).Functions);
        Assert.Equal("orders-prod", function.Environment["TABLE"]);
    }

    [Fact]
    public void Multi_scf_shares_settings_through_the_provider_and_routes_triggers_to_their_functions()
    {
        var manifest = LoadManifest("""
            app: multi
            stage: dev
            component: multi-scf
            name: event_demo
            inputs:
              src:
                src: ./
              runtime: Python3.9
              memorySize: 128
              timeout: 3
              environments:
                - key: ENV
                  value: test
              functions:
                index:
                  handler: app.index
                user-list:
                  handler: app.list
                  memorySize: 256
                  environment:
                    variables:
                      PAGE: '20'
              triggers:
                - type: timer
                  function: index
                  parameters:
                    cronExpression: '0 */5 * * * * *'
                    enable: true
                - type: apigw
                  parameters:
                    apis:
                      - path: /
                        method: GET
                        function: index
                      - path: /user
                        method: ANY
                        function: user-list
            """);

        Assert.Equal("event-demo", manifest.Service);
        var index = manifest.Functions.Single(f => f.Name == "index");
        var users = manifest.Functions.Single(f => f.Name == "user-list");
        Assert.Equal("app.index", index.Handler);
        Assert.Equal("python3.9", index.Runtime);
        Assert.Equal(128, index.MemorySize);
        Assert.Equal(256, users.MemorySize);
        Assert.Equal("test", index.Environment["ENV"]);
        Assert.Equal("20", users.Environment["PAGE"]);
        Assert.Equal("cron(*/5 * * * ? *)", Assert.Single(index.Schedules).Expression);
        Assert.Equal(("GET", "/"), (Assert.Single(index.Routes).Method, index.Routes[0].Path));
        Assert.Equal("/user", Assert.Single(users.Routes).Path);
        Assert.Empty(users.Schedules);
    }

    [Fact]
    public void Cos_triggers_become_s3_events_on_the_bucket()
    {
        var function = Assert.Single(LoadManifest("""
            component: scf
            name: thumbs
            inputs:
              runtime: Nodejs18.15
              events:
                - cos:
                    parameters:
                      bucket: photos-1250000000.cos.ap-guangzhou.myqcloud.com
                      filter:
                        prefix: uploads/
                        suffix: .jpg
                      events: 'cos:ObjectCreated:*'
                      enable: true
            """).Functions);

        Assert.Equal("index.main_handler", function.Handler);
        Assert.Equal(new BucketEvent("photos-1250000000", "s3:ObjectCreated:*", "uploads/", ".jpg"), Assert.Single(function.BucketEvents));
    }

    [Fact]
    public void A_timer_without_enable_true_is_deployed_disabled_with_a_warning()
    {
        var result = Load("""
            component: scf
            name: job
            inputs:
              events:
                - timer:
                    parameters:
                      cronExpression: '0 0 * * * * *'
            """);

        Assert.False(Assert.Single(Assert.Single(result.Manifest.Functions).Schedules).Enabled);
        Assert.Contains(result.Warnings, w => w.Message.Contains("enable: true", StringComparison.Ordinal));
    }

    [Fact]
    public void Framework_component_is_a_web_function_at_every_path()
    {
        var result = Load("""
            component: express
            name: shop-api
            app: shop
            stage: dev
            inputs:
              src: ./
              functionConf:
                memorySize: 512
                timeout: 10
                environment:
                  variables:
                    MODE: demo
                vpcConfig:
                  vpcId: vpc-1
              apigatewayConf:
                protocols: [http, https]
                enableCORS: true
                customDomains:
                  - domain: shop.example.com
                    certId: cert-1
                    customMap: true
                    pathMap:
                      - path: /api
                        environment: release
                  - domain: www.example.com
            """);

        var function = Assert.Single(result.Manifest.Functions);
        Assert.Equal("shop-api", function.Name);
        Assert.Equal(FunctionKind.Web, function.Kind);
        Assert.Equal(512, function.MemorySize);
        Assert.Equal("demo", function.Environment["MODE"]);
        Assert.NotNull(Assert.Single(function.Routes).Cors);
        Assert.Contains(result.Warnings, w => w.Message.Contains("functionConf.vpcConfig", StringComparison.Ordinal));
        Assert.Equal([("shop.example.com", "/api"), ("www.example.com", "")], result.Manifest.CustomDomains.Select(d => (d.DomainName, d.BasePath)));
        Assert.Contains(result.Warnings, w => w.Message.Contains("certId is not used", StringComparison.Ordinal));
    }

    [Fact]
    public void A_nuxtjs_component_is_a_web_function_started_by_the_nuxt_preset()
    {
        var result = Load("""
            component: nuxtjs
            name: site
            app: shop
            stage: dev
            inputs:
              src:
                src: ./
                hook: npm run build
              functionConf:
                memorySize: 512
            """);

        var function = Assert.Single(result.Manifest.Functions);
        Assert.Equal(("site", FunctionKind.Web, "nuxt"), (function.Name, function.Kind, function.Framework));
        Assert.Equal(512, function.MemorySize);
        Assert.Contains(result.Warnings, w => w.Message.Contains("the nuxt preset builds the app itself", StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_point_at_the_line_the_user_wrote()
    {
        var errors = Errors("""
            component: multi-scf
            name: app
            inputs:
              functions:
                index:
                  handler: app.index
                  memorySize: lots
              triggers:
                - type: timer
                  function: missing
                  parameters:
                    cronExpression: '0 0 * * * * *'
                    enable: true
            """);

        Assert.True(errors.Count == 2, string.Join("\n", errors));
        Assert.Contains(errors, e => e.Location?.Line == 7 && e.Message.Contains("memorySize", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location?.Line == 10 && e.Message.Contains("'missing'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("component: wordpress", "not one Ferry deploys")]
    [InlineData("component: scf\ninputs:\n  runtime: Go1", "'Go1' is not a runtime")]
    [InlineData("component: scf\ninputs:\n  src: ../elsewhere", "inside the app folder")]
    [InlineData("component: scf\ninputs:\n  src:\n    bucket: code\n    object: code.zip", "cloud bucket")]
    [InlineData("component: scf\ninputs:\n  environment:\n    variables:\n      DB: ${output:dev:x:db.url}", "the component 'db' of stage 'dev' has no output 'url'")]
    [InlineData("component: scf\ninputs:\n  environment:\n    variables:\n      DB: ${output:dev:other:db.url}", "outputs are read from components of the same app")]
    public void Unsupported_settings_are_clear_errors(string body, string expected)
    {
        var yaml = body.Contains("name:", StringComparison.Ordinal) ? body : body.Replace("component: ", "name: x\ncomponent: ", StringComparison.Ordinal);
        Assert.Contains(Errors(yaml), e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_with_service_is_serverless_yml_even_if_it_names_a_component()
    {
        Assert.False(ComponentTranslator.IsComponentFile(new YamlDotNet.RepresentationModel.YamlMappingNode
        {
            { "service", "x" },
            { "component", "scf" },
        }));
    }

    [Theory]
    [InlineData("0 */5 * * * * *", "cron(*/5 * * * ? *)", false)]
    [InlineData("*/5 * * * * * *", "cron(* * * * ? *)", true)]
    [InlineData("0 30 9 * * 1-5 *", "cron(30 9 ? * 2-6 *)", false)]
    [InlineData("15 10 * * *", "cron(15 10 * * ? *)", false)]
    [InlineData("0 0 12 1 * *", "cron(0 12 1 * ? *)", false)]
    public void Tencent_cron_converts_to_eventbridge_cron(string text, string expected, bool finer)
    {
        Assert.Equal(expected, TencentCron.ToScheduleExpression(text, out var finerThanMinutes, out var problem));
        Assert.Null(problem);
        Assert.Equal(finer, finerThanMinutes);
        Assert.NotNull(ScheduleExpression.Parse(expected));
    }
}
