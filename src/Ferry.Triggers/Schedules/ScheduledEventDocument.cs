using System.Text;
using System.Text.Json;

namespace Ferry.Triggers.Schedules;

/// <summary>The event a schedule sends: EventBridge's "Scheduled Event" document, or the schedule's own input.</summary>
public static class ScheduledEventDocument
{
    public static byte[] For(ScheduleFiring firing, string eventId)
    {
        if (firing.Schedule.Input is { } input)
        {
            return Encoding.UTF8.GetBytes(input);
        }

        var target = firing.Schedule.Target;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", "0");
            json.WriteString("id", eventId);
            json.WriteString("detail-type", "Scheduled Event");
            json.WriteString("source", "aws.events");
            json.WriteString("account", "000000000000");
            json.WriteString("time", firing.ScheduledTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("region", target.Region);
            json.WriteStartArray("resources");
            json.WriteStringValue(firing.Schedule.RuleArn);
            json.WriteEndArray();
            json.WriteStartObject("detail");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
