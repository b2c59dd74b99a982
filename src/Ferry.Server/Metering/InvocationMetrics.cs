using System.Collections.Concurrent;
using Ferry.Runtime.Telemetry;
using Ferry.Server.Deployments;
using Ferry.Store;
using Prometheus;

namespace Ferry.Server.Metering;

/// <summary>
/// Prometheus metrics of the functions, labelled by service, stage, region and function: counters and a duration
/// histogram fed by every recorded invocation, and instance/queue gauges read from the live pools at each scrape.
/// </summary>
internal sealed class InvocationMetrics : IDisposable
{
    private static readonly string[] FunctionLabelNames = ["service", "stage", "region", "function"];

    /// <summary>From 5 ms (a warm no-op) to 15 min (Lambda's longest timeout).</summary>
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

    private readonly InvocationRecorder _recorder;
    private readonly LiveApps _live;
    private readonly Counter _invocations;
    private readonly Counter _coldStarts;
    private readonly Histogram _duration;
    private readonly Gauge _instances;
    private readonly Gauge _queueLength;

    /// <summary>service/stage/region of app stages, by id; refreshed from the live apps on a miss and at every scrape.</summary>
    private readonly ConcurrentDictionary<long, AppLabels> _appLabels = new();

    private readonly Lock _gaugeGate = new();
    private HashSet<FunctionLabels> _gaugedFunctions = [];

    public InvocationMetrics(CollectorRegistry registry, InvocationRecorder recorder, LiveApps live)
    {
        _recorder = recorder;
        _live = live;
        var metrics = Metrics.WithCustomRegistry(registry);
        _invocations = metrics.CreateCounter("ferry_invocations_total", "Invocations of functions, by outcome.",
            [.. FunctionLabelNames, "status"]);
        _coldStarts = metrics.CreateCounter("ferry_cold_starts_total", "Invocations served by an instance started for them.", FunctionLabelNames);
        _duration = metrics.CreateHistogram("ferry_invocation_duration_seconds", "How long invocations ran (not billed duration).",
            new HistogramConfiguration { LabelNames = FunctionLabelNames, Buckets = DurationBuckets });
        _instances = metrics.CreateGauge("ferry_instances", "Running instances of the served revision of each function.", FunctionLabelNames);
        _queueLength = metrics.CreateGauge("ferry_queue_length", "Requests waiting for an instance of each function.", FunctionLabelNames);

        registry.AddBeforeCollectCallback(UpdateGauges);
        _recorder.Recorded += OnRecorded;
    }

    private void OnRecorded(InvocationRecord record)
    {
        // Runs at the end of a request: a metrics problem must never fail it.
        try
        {
            var app = LabelsOf(record.AppStageId);
            string[] labels = [app.Service, app.Stage, app.Region, record.Function];
            _invocations.WithLabels([.. labels, StatusLabel(record.Status)]).Inc();
            _duration.WithLabels(labels).Observe(record.DurationMs / 1000.0);
            if (record.ColdStart)
            {
                _coldStarts.WithLabels(labels).Inc();
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Invalid label values cannot occur for names that passed manifest validation; drop the sample if one does.
        }
    }

    internal static string StatusLabel(InvocationStatus status) => status.ToString().ToLowerInvariant();

    private AppLabels LabelsOf(long appStageId)
    {
        if (_appLabels.TryGetValue(appStageId, out var labels))
        {
            return labels;
        }

        foreach (var app in _live.All)
        {
            _appLabels[app.AppStage.Id] = AppLabels.Of(app);
        }

        // Removed between the invocation and its record: still counted, under its id.
        return _appLabels.TryGetValue(appStageId, out labels) ? labels : new AppLabels($"app-stage-{appStageId}", "", "");
    }

    /// <summary>Sets the gauges from the pools being served; functions no longer served lose their series.</summary>
    private void UpdateGauges()
    {
        var apps = _live.All;
        var current = new HashSet<FunctionLabels>();
        lock (_gaugeGate)
        {
            _appLabels.Clear();
            foreach (var app in apps)
            {
                var appLabels = AppLabels.Of(app);
                _appLabels[app.AppStage.Id] = appLabels;
                foreach (var (function, pool) in app.Deployed.Pools)
                {
                    var labels = new FunctionLabels(appLabels, function);
                    current.Add(labels);
                    _instances.WithLabels(labels.Values).Set(pool.InstanceCount);
                    _queueLength.WithLabels(labels.Values).Set(pool.QueueLength);
                }
            }

            foreach (var gone in _gaugedFunctions.Where(labels => !current.Contains(labels)))
            {
                _instances.RemoveLabelled(gone.Values);
                _queueLength.RemoveLabelled(gone.Values);
            }

            _gaugedFunctions = current;
        }
    }

    public void Dispose() => _recorder.Recorded -= OnRecorded;

    private readonly record struct AppLabels(string Service, string Stage, string Region)
    {
        public static AppLabels Of(LiveApp app) => new(app.AppStage.Service, app.AppStage.Stage, app.AppStage.Region);
    }

    private readonly record struct FunctionLabels(AppLabels App, string Function)
    {
        public string[] Values => [App.Service, App.Stage, App.Region, Function];
    }
}
