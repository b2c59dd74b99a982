namespace Ferry.Manifest.Loading;

/// <summary>
/// Reads a function's <c>events</c>: HTTP events become routes, <c>schedule</c> events schedules, <c>s3</c> events bucket events, and other
/// event types are reported as not supported yet. Each result keeps where it was declared.
/// </summary>
internal sealed class EventReader(ValueReader reader)
{
    private const string Schedule = "schedule";

    private readonly HttpEventReader http = new(reader);
    private readonly ScheduleEventReader schedules = new(reader);
    private readonly BucketEventReader buckets = new(reader);
    private readonly QueueEventReader queues = new(reader);

    public FunctionEvents Read(ValueNode events, string path)
    {
        var result = new FunctionEvents();
        var items = reader.Items(events, path);
        for (var i = 0; i < items.Count; i++)
        {
            var eventPath = $"{path}[{i}]";
            if (items[i] is ScalarValue { IsNull: false, Text: var bare } && bare is not (HttpEventReader.HttpApi or HttpEventReader.Http or Schedule or "s3"))
            {
                // `- alexaSkill` (an event with no settings) is an event type Ferry doesn't have, like any other.
                reader.Warning(items[i].Location, $"event type '{bare}' is not supported yet; ignored");
                continue;
            }

            var entries = reader.Entries(items[i], eventPath, "a mapping with one event type such as 'httpApi'");
            if (entries.Count == 0)
            {
                continue;
            }

            if (entries.Count > 1)
            {
                var keys = string.Join(", ", entries.Select(entry => entry.Key));
                reader.Error(entries[0].KeyLocation,
                    $"{eventPath} has several keys ({keys}); an event has one type, with its settings indented under it");
                continue;
            }

            var (type, typeLocation, value) = entries[0];
            switch (type)
            {
                case HttpEventReader.HttpApi or HttpEventReader.Http:
                    var format = type == HttpEventReader.HttpApi ? HttpRoute.PayloadV2 : HttpRoute.PayloadV1;
                    if (http.ReadRoute(value, $"{eventPath}.{type}", format) is { } route)
                    {
                        result.Routes.Add((route, typeLocation));
                    }

                    break;
                case Schedule:
                    result.Schedules.AddRange(schedules.Read(value, $"{eventPath}.{Schedule}").Select(schedule => (schedule, typeLocation)));
                    break;
                case "s3":
                    if (buckets.Read(value, $"{eventPath}.s3") is { } bucketEvent)
                    {
                        result.BucketEvents.Add((bucketEvent.Event, bucketEvent.Existing, typeLocation));
                    }

                    break;
                case "sqs":
                    if (queues.Read(value, $"{eventPath}.sqs") is { } queueEvent)
                    {
                        result.QueueEvents.Add((queueEvent, typeLocation));
                    }

                    break;
                default:
                    reader.Warning(typeLocation, $"event type '{type}' is not supported yet; ignored");
                    break;
            }
        }

        return result;
    }
}

/// <summary>The routes, schedules and bucket events of one function, each with where it was declared.</summary>
internal sealed class FunctionEvents
{
    public List<(HttpRoute Route, SourceLocation Location)> Routes { get; } = [];

    public List<(ScheduleEvent Schedule, SourceLocation Location)> Schedules { get; } = [];

    public List<(BucketEvent Event, bool Existing, SourceLocation Location)> BucketEvents { get; } = [];

    public List<(QueueEvent Event, SourceLocation Location)> QueueEvents { get; } = [];
}
