using System.Runtime.CompilerServices;
using Ferry.Manifest;
using Ferry.Server.Deployments;
using Ferry.Triggers.Async;
using Ferry.Triggers.Schedules;

namespace Ferry.Server.Lambda;

/// <summary>The enabled schedules of the revisions being served; a deploy or removal changes them at the next tick.</summary>
internal sealed class LiveAppsScheduleSource(LiveApps live) : IScheduleSource
{
    // A served revision never changes, so its schedules are worked out once and forgotten with it.
    private readonly ConditionalWeakTable<LiveApp, IReadOnlyList<ScheduledFunction>> _byApp = [];

    public IReadOnlyList<ScheduledFunction> CurrentSchedules()
        => [.. live.All.SelectMany(app => _byApp.GetValue(app, SchedulesOf))];

    private static IReadOnlyList<ScheduledFunction> SchedulesOf(LiveApp app)
    {
        var stage = app.AppStage;
        var schedules = new List<ScheduledFunction>();
        foreach (var function in app.Manifest.Functions.Where(f => f.Kind == FunctionKind.Event))
        {
            var target = new FunctionAddress(stage.Tenant, stage.Id, stage.Service, stage.Stage, stage.Region, function.Name);
            for (var i = 0; i < function.Schedules.Count; i++)
            {
                var schedule = function.Schedules[i];
                // Deployed manifests were validated, so every expression parses.
                if (schedule.Enabled && ScheduleExpression.TryParse(schedule.Expression, out var expression, out _))
                {
                    schedules.Add(new ScheduledFunction(target, app.Revision.Id, i, expression, schedule.Input));
                }
            }
        }

        return schedules;
    }
}
