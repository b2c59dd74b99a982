using static Ferry.Manifest.Tests.Manifests;

namespace Ferry.Manifest.Tests;

public sealed class ScheduleEventTests
{
    private static string WithEvents(string events, string function = "handler: index.handler") => $"""
        service: app
        provider:
          runtime: nodejs20.x
        functions:
          job:
            {function}
            events:
        {events}
        """;

    private static IReadOnlyList<ScheduleEvent> Schedules(string events) =>
        Assert.Single(LoadManifest(WithEvents(events)).Functions).Schedules;

    [Fact]
    public void Short_forms_take_rate_and_cron_expressions()
    {
        Assert.Equal(
            [new ScheduleEvent("rate(5 minutes)"), new ScheduleEvent("cron(0 12 * * ? *)")],
            Schedules("""
                  - schedule: rate(5 minutes)
                  - schedule: cron(0 12 * * ? *)
            """));
    }

    [Fact]
    public void Long_form_reads_enabled_and_input_as_json()
    {
        var schedule = Assert.Single(Schedules("""
                  - schedule:
                      rate: rate(1 hour)
                      enabled: false
                      input:
                        job: cleanup
                        days: 7
                        dryRun: true
                        tags: [a, b]
            """));

        Assert.Equal("rate(1 hour)", schedule.Expression);
        Assert.False(schedule.Enabled);
        Assert.Equal("""{"job":"cleanup","days":7,"dryRun":true,"tags":["a","b"]}""", schedule.Input);
    }

    [Fact]
    public void Long_form_with_a_list_of_rates_gives_one_schedule_each_sharing_the_settings()
    {
        Assert.Equal(
            [new ScheduleEvent("rate(2 days)", true, """{"x":1}"""), new ScheduleEvent("cron(*/5 * ? * MON-FRI *)", true, """{"x":1}""")],
            Schedules("""
                  - schedule:
                      rate: [rate(2 days), cron(*/5 * ? * MON-FRI *)]
                      input: '{"x": 1}'
            """));
    }

    [Fact]
    public void Name_and_description_are_quiet_but_input_transformers_are_not_used()
    {
        var result = Load(WithEvents("""
                  - schedule:
                      name: nightly
                      description: cleans up
                      rate: rate(1 day)
                      inputTransformer: {inputTemplate: x}
            """));

        var warning = Assert.Single(result.Warnings);
        AssertAt(warning, 12, 11);
        Assert.Equal("'functions.job.events[0].schedule.inputTransformer' is not used by Ferry; ignored", warning.Message);
    }

    [Theory]
    [InlineData("rate(5 minute)", "functions.job.events[0].schedule 'rate(5 minute)' must say '5 minutes': the unit is singular for 1 and plural otherwise")]
    [InlineData("rate(0 minutes)", "functions.job.events[0].schedule 'rate(0 minutes)' must be rate(N unit) with N a whole number of at least 1 and unit minute(s), hour(s) or day(s)")]
    [InlineData("cron(0 12 * * *)", "functions.job.events[0].schedule 'cron(0 12 * * *)' is not a valid cron expression: it has 5 fields; AWS cron expressions have 6: minutes hours day-of-month month day-of-week year")]
    [InlineData("every 5 minutes", "functions.job.events[0].schedule must be 'rate(N minute|minutes|hour|hours|day|days)' or 'cron(minutes hours day-of-month month day-of-week year)', got 'every 5 minutes'")]
    public void Bad_expressions_are_errors_at_the_expression(string expression, string message)
    {
        var error = SingleError(WithEvents($"      - schedule: {expression}"));

        AssertAt(error, 8, 19);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Errors_in_the_long_form_are_located_at_the_bad_value()
    {
        var errors = Errors(WithEvents("""
                  - schedule:
                      rate: cron(0 12 * * ? 2030)
                      enabled: sometimes
                  - schedule:
                      input: {a: 1}
            """));

        Assert.Collection(errors,
            e =>
            {
                AssertAt(e, 9, 17);
                Assert.Equal("functions.job.events[0].schedule.rate 'cron(0 12 * * ? 2030)' is not a valid cron expression: the year field must be '*' (Ferry schedules repeat every year), got '2030'", e.Message);
            },
            e =>
            {
                AssertAt(e, 10, 20);
                Assert.Equal("functions.job.events[0].schedule.enabled must be true or false, got \"sometimes\"", e.Message);
            },
            e =>
            {
                AssertAt(e, 12, 11);
                Assert.Equal("functions.job.events[1].schedule must have 'rate' with a schedule expression, for example rate: rate(10 minutes)", e.Message);
            });
    }

    [Fact]
    public void Input_that_is_not_json_is_an_error()
    {
        var error = SingleError(WithEvents("""
                  - schedule: {rate: rate(1 day), input: 'not json'}
            """));

        Assert.Equal("functions.job.events[0].schedule.input must be a mapping or a JSON document, got \"not json\" (not valid JSON)", error.Message);
    }

    [Fact]
    public void Web_functions_cannot_have_schedules()
    {
        var error = SingleError(WithEvents("      - schedule: rate(1 day)", function: "command: node server.js"));

        AssertAt(error, 8, 9);
        Assert.Equal("functions.job is a web function, which is only reached over HTTP; schedule, s3 and sqs events need an event function (with a 'handler')", error.Message);
    }
}
