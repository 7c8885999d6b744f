using System.Diagnostics.Metrics;

namespace CyLlm.Gateway.Observability;

/// <summary>
/// The gateway's instruments (Meter "CyLlm.Gateway", exported at /metrics next to the engine's "CyLlm.Engine"):
/// requests and latency by endpoint/status/model/tenant, TTFT and inter-token latency as the client sees them,
/// tokens, rate-limit rejections and store errors, timeouts by stage, and alerts. Seconds for durations.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "CyLlm.Gateway";

    private readonly Meter _meter = new(MeterName);

    public GatewayMetrics()
    {
        Requests = _meter.CreateCounter<long>("cyllm_gateway_requests_total", description: "HTTP requests by endpoint, status, model and tenant");
        Duration = _meter.CreateHistogram<double>("cyllm_gateway_request_duration_seconds", "s", "Time from request start to the last byte, by endpoint, model and tenant");
        Ttft = _meter.CreateHistogram<double>("cyllm_gateway_time_to_first_token_seconds", "s", "Streaming: request start to the first content event");
        InterToken = _meter.CreateHistogram<double>("cyllm_gateway_inter_token_latency_seconds", "s", "Streaming: gap between consecutive token events");
        PromptTokens = _meter.CreateCounter<long>("cyllm_gateway_prompt_tokens_total");
        GenerationTokens = _meter.CreateCounter<long>("cyllm_gateway_generation_tokens_total");
        RateLimitRejections = _meter.CreateCounter<long>("cyllm_ratelimit_rejections_total", description: "429s by tenant and limit (requests, tokens)");
        RateLimitStoreErrors = _meter.CreateCounter<long>("cyllm_ratelimit_store_errors_total", description: "Rate-limit store (Redis) failures");
        Timeouts = _meter.CreateCounter<long>("cyllm_gateway_timeouts_total", description: "504s and stream errors by stage");
        Alerts = _meter.CreateCounter<long>("cyllm_alerts_total", description: "Alert excursions by alert name (one per excursion)");
    }

    public Counter<long> Requests { get; }

    public Histogram<double> Duration { get; }

    public Histogram<double> Ttft { get; }

    public Histogram<double> InterToken { get; }

    public Counter<long> PromptTokens { get; }

    public Counter<long> GenerationTokens { get; }

    public Counter<long> RateLimitRejections { get; }

    public Counter<long> RateLimitStoreErrors { get; }

    public Counter<long> Timeouts { get; }

    public Counter<long> Alerts { get; }

    /// <summary>Requests and 5xx answers over a sliding window, for the error-rate alert.</summary>
    public ErrorRateWindow ErrorRate { get; } = new(TimeSpan.FromMinutes(1));

    public void Dispose() => _meter.Dispose();
}
