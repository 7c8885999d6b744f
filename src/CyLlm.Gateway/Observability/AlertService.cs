using CyLlm.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Observability;

/// <summary>Samples queue depth, KV usage and the error rate every <see cref="AlertOptions.Interval"/> into an
/// <see cref="AlertMonitor"/>; a firing alert logs a warning and increments cyllm_alerts_total{alert}.</summary>
public sealed class AlertService : IDisposable
{
    private readonly GatewayState _state;
    private readonly GatewayMetrics _metrics;
    private readonly AlertOptions _options;
    private readonly ITimer? _timer;

    public AlertService(GatewayState state, GatewayMetrics metrics, ILogger log)
    {
        _state = state;
        _metrics = metrics;
        _options = state.Options.Alerts;
        Monitor = new AlertMonitor(_options.Rules(), state.Time,
            (rule, value) =>
            {
                metrics.Alerts.Add(1, new KeyValuePair<string, object?>("alert", rule.Name));
                log.LogWarning("ALERT {Alert} firing: {Value:0.###} reached {Threshold:0.###} (clears at {Clear:0.###})", rule.Name, value, rule.FireAt, rule.ClearAt);
            },
            (rule, value) => log.LogInformation("ALERT {Alert} recovered: {Value:0.###} at or below {Clear:0.###}", rule.Name, value, rule.ClearAt));
        if (_options.Enabled)
        {
            _timer = state.Time.CreateTimer(_ => Sample(), null, _options.Interval, _options.Interval);
        }
    }

    public AlertMonitor Monitor { get; }

    /// <summary>One round of samples (the timer's callback; tests call it directly).</summary>
    public void Sample()
    {
        lock (Monitor)
        {
            // The engine's own waiting queue (NaN, no sample, for a backend without one or still loading).
            var backend = _state.Model.Backend;
            Monitor.Observe("queue_depth", backend is { MaxWaiting: > 0 } b ? (double)b.Waiting / b.MaxWaiting : double.NaN);
            Monitor.Observe("kv_usage", _state.Model.Backend is EngineBackend e ? e.KvUsage : double.NaN);
            double rate = _metrics.ErrorRate.Rate(_state.Time.GetUtcNow(), out long requests);
            Monitor.Observe("error_rate", requests >= _options.ErrorRateMinRequests ? rate : double.NaN);
        }
    }

    public void Dispose() => _timer?.Dispose();
}
