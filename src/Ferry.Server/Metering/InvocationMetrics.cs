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

    /// <summary>The counters and histogram of each function that has been invoked, by app stage id and function name.</summary>
    private readonly ConcurrentDictionary<(long AppStageId, string Function), FunctionSeries> _series = new();

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
            var series = SeriesOf(record.AppStageId, record.Function);
            series.Invocations(record.Status).Inc();
            series.Duration.Observe(record.DurationMs / 1000.0);
            if (record.ColdStart)
            {
                series.ColdStarts.Inc();
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Invalid label values cannot occur for names that passed manifest validation; drop the sample if one does.
        }
    }

    /// <summary>
    /// The labelled series of one function, looked up once and kept: labelling a metric on every request (label
    /// arrays, prometheus-net's lookup by label values) was a measurable part of the gateway's CPU per request.
    /// </summary>
    private FunctionSeries SeriesOf(long appStageId, string function)
    {
        var key = (appStageId, function);
        if (_series.TryGetValue(key, out var series))
        {
            return series;
        }

        var found = TryLabelsOf(appStageId, out var app);
        string[] labels = [app.Service, app.Stage, app.Region, function];
        series = new FunctionSeries(_invocations, labels, _coldStarts.WithLabels(labels), _duration.WithLabels(labels));
        // An app stage removed before its last record arrived is counted under its id, but not remembered.
        return found ? _series.GetOrAdd(key, series) : series;
    }

    internal static string StatusLabel(InvocationStatus status) => status.ToString().ToLowerInvariant();

    private bool TryLabelsOf(long appStageId, out AppLabels labels)
    {
        if (_appLabels.TryGetValue(appStageId, out labels))
        {
            return true;
        }

        foreach (var app in _live.All)
        {
            _appLabels[app.AppStage.Id] = AppLabels.Of(app);
        }

        if (_appLabels.TryGetValue(appStageId, out labels))
        {
            return true;
        }

        // Removed between the invocation and its record: still counted, under its id.
        labels = new AppLabels($"app-stage-{appStageId}", "", "");
        return false;
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

    private sealed class FunctionSeries(Counter invocations, string[] labels, Counter.Child coldStarts, Histogram.Child duration)
    {
        /// <summary>By <see cref="InvocationStatus"/>; a status gets its series when it first occurs.</summary>
        private readonly Counter.Child?[] _invocations = new Counter.Child?[Enum.GetValues<InvocationStatus>().Length];

        public Counter.Child ColdStarts { get; } = coldStarts;

        public Histogram.Child Duration { get; } = duration;

        public Counter.Child Invocations(InvocationStatus status)
            => Volatile.Read(ref _invocations[(int)status]) ?? (_invocations[(int)status] = invocations.WithLabels([.. labels, StatusLabel(status)]));
    }

    private readonly record struct FunctionLabels(AppLabels App, string Function)
    {
        public string[] Values => [App.Service, App.Stage, App.Region, Function];
    }
}
