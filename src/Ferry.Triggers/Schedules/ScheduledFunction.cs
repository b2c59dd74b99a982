using Ferry.Manifest;
using Ferry.Triggers.Async;

namespace Ferry.Triggers.Schedules;

/// <summary>One enabled schedule of a function in the revision being served.</summary>
/// <param name="Index">Position among the function's schedules; with the revision it identifies the schedule.</param>
/// <param name="Input">JSON sent instead of the scheduled-event document, when the schedule has one.</param>
public sealed record ScheduledFunction(FunctionAddress Target, long RevisionId, int Index, ScheduleExpression Expression, string? Input)
{
    /// <summary>The EventBridge rule ARN the scheduled event names as its resource.</summary>
    public string RuleArn => $"arn:aws:events:{Target.Region}:000000000000:rule/{Target.Service}-{Target.Stage}-{Target.Function}-schedule-{Index + 1}";
}

/// <summary>The schedules that should be running now (the server derives them from the revisions it serves).</summary>
public interface IScheduleSource
{
    IReadOnlyList<ScheduledFunction> CurrentSchedules();
}
