using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CyLlm.Gateway.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CyLlm.Gateway.Workers;

/// <summary>
/// The remote engine workers of one model: picks a worker per request by prefix affinity within a load limit
/// (<see cref="PrefixAffinity"/>; load = this gateway's requests in flight plus the worker's running and waiting ones
/// from its last heartbeat), and runs the heartbeat — <c>GET /internal/workers/status</c> on every worker each
/// <see cref="WorkerSettings.HeartbeatInterval"/> on <see cref="TimeProvider"/>'s clock, each poll bounded by the same
/// interval — that moves workers between up and down (<see cref="RemoteWorker"/>). Publishes per-worker gauges on the
/// meter <see cref="MeterName"/>.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    public const string MeterName = "CyLlm.Workers";

    private readonly WorkerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _downs;
    private Task _loop = Task.CompletedTask;

    /// <param name="http">Sends the heartbeats (and, in <see cref="RemoteEngineBackend"/>, the requests); it carries the worker key.</param>
    public WorkerPool(WorkerSettings settings, HttpClient http, TimeProvider? time = null, ILogger? log = null)
    {
        _settings = settings;
        Http = http;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        Workers = [.. settings.Endpoints().Select((u, i) => new RemoteWorker(u, i))];
        if (Workers.Count == 0)
        {
            throw new ArgumentException("a worker pool needs at least one worker URL", nameof(settings));
        }

        _meter.CreateObservableGauge("cyllm_worker_up", () => Measure(w => w.IsUp ? 1 : 0), description: "1 while the remote engine worker answers its heartbeat, 0 while it is down");
        _meter.CreateObservableGauge("cyllm_worker_in_flight", () => Measure(w => w.InFlight), description: "Requests this gateway has on the worker");
        _meter.CreateObservableGauge("cyllm_worker_queue", () => Measure(w => w.Report is { } r ? r.Running + r.Waiting : 0), description: "Running plus waiting requests of the worker's engine at its last heartbeat");
        _meter.CreateObservableGauge("cyllm_worker_heartbeat_age_seconds", () => Measure(w => w.Snapshot().LastHeartbeat is { } t ? (_time.GetUtcNow() - t).TotalSeconds : -1), "s", "Seconds since the worker last answered a heartbeat (-1: never)");
        _failovers = _meter.CreateCounter<long>("cyllm_worker_failovers_total", description: "Requests moved to another worker before anything reached the client, by the worker that failed");
        _downs = _meter.CreateCounter<long>("cyllm_worker_down_total", description: "Times a worker was marked down (missed heartbeats or a failed connection)");
    }

    public IReadOnlyList<RemoteWorker> Workers { get; }

    public HttpClient Http { get; }

    public WorkerSettings Settings => _settings;

    /// <summary>Starts the heartbeat: each worker is polled at once, then every interval until disposal.</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>
    /// The worker for a prompt with affinity key <paramref name="key"/>, among the up workers <paramref name="allowed"/>
    /// accepts (null = all); prefers those reporting <paramref name="adapter"/> when some do. Null when none qualifies.
    /// </summary>
    public RemoteWorker? Pick(ulong key, string? adapter = null, Func<RemoteWorker, bool>? allowed = null)
    {
        var workers = Workers;
        Span<ulong> salts = stackalloc ulong[workers.Count];
        Span<int> load = stackalloc int[workers.Count];
        var eligible = new bool[workers.Count];
        bool anyHasAdapter = false;
        for (int i = 0; i < workers.Count; i++)
        {
            var w = workers[i];
            salts[i] = w.Salt;
            load[i] = w.Load;
            eligible[i] = w.IsUp && (allowed is null || allowed(w));
            anyHasAdapter |= eligible[i] && adapter is not null && w.Report?.Adapters.Contains(adapter) == true;
        }

        if (anyHasAdapter)
        {
            // A worker without the adapter would answer 404: send it where it is loaded.
            for (int i = 0; i < workers.Count; i++)
            {
                eligible[i] &= workers[i].Report?.Adapters.Contains(adapter!) == true;
            }
        }

        int chosen = PrefixAffinity.Choose(key, salts, load, i => eligible[i]);
        return chosen < 0 ? null : workers[chosen];
    }

    /// <summary>Polls every worker once (tests call it directly; the loop calls it each interval).</summary>
    public async Task PollOnceAsync(CancellationToken ct)
    {
        await Task.WhenAll(Workers.Select(w => PollAsync(w, ct)));
    }

    /// <summary>A request found <paramref name="worker"/> dead; it is marked down until a heartbeat answers.</summary>
    public void ReportDead(RemoteWorker worker, string reason)
    {
        if (worker.MarkDown(reason))
        {
            _downs.Add(1, new KeyValuePair<string, object?>("worker", worker.Url));
            _log.LogWarning("worker {Worker} is down: {Reason}", worker.Url, reason);
        }
    }

    /// <summary>Counts a request that moved off <paramref name="worker"/> before the client saw anything.</summary>
    public void CountFailover(RemoteWorker worker) => _failovers.Add(1, new KeyValuePair<string, object?>("worker", worker.Url));

    private async Task PollAsync(RemoteWorker worker, CancellationToken ct)
    {
        using var limit = new CancellationTokenSource(_settings.HeartbeatInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        string? failure;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{worker.Url}/internal/workers/status");
            using var response = await Http.SendAsync(request, linked.Token);
            if (response.IsSuccessStatusCode)
            {
                var report = await response.Content.ReadFromJsonAsync<WorkerStatusReport>(GatewayJson.Options, linked.Token) ?? new WorkerStatusReport();
                if (worker.RecordSuccess(report, _time.GetUtcNow()))
                {
                    _log.LogInformation("worker {Worker} is up again", worker.Url);
                }

                return;
            }

            failure = $"heartbeat answered HTTP {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return; // the gateway is stopping
        }
        catch (OperationCanceledException)
        {
            failure = $"no heartbeat answer within {_settings.HeartbeatInterval.TotalMilliseconds:0} ms";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
        {
            failure = $"heartbeat failed: {e.Message}";
        }

        if (worker.RecordMiss(failure, _settings.MissedHeartbeats))
        {
            _downs.Add(1, new KeyValuePair<string, object?>("worker", worker.Url));
            _log.LogWarning("worker {Worker} is down after {Misses} missed heartbeats: {Reason}", worker.Url, _settings.MissedHeartbeats, failure);
        }
    }

    private Task LoopAsync(CancellationToken ct) => Task.WhenAll(Workers.Select(w => WorkerLoopAsync(w, ct)));

    /// <summary>One worker's heartbeat: a poll every interval, measured from the start of the last one, so a hung worker
    /// (whose polls run out their time limit of one interval) still misses one poll per interval and is detected after
    /// <see cref="WorkerSettings.MissedHeartbeats"/> intervals; a slow worker never delays another's polls.</summary>
    private async Task WorkerLoopAsync(RemoteWorker worker, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                long started = _time.GetTimestamp();
                await PollAsync(worker, ct);
                var left = _settings.HeartbeatInterval - _time.GetElapsedTime(started);
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left, _time, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private IEnumerable<Measurement<T>> Measure<T>(Func<RemoteWorker, T> value)
        where T : struct
    {
        foreach (var w in Workers)
        {
            yield return new Measurement<T>(value(w), new KeyValuePair<string, object?>("worker", w.Url));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the cancellation; nothing else to report at shutdown.
        }

        _stop.Dispose();
        _meter.Dispose();
    }

    /// <summary>The HttpClient for a pool: the worker key as bearer token, no overall timeout (requests carry their own
    /// deadline), quick connection failures.</summary>
    public static HttpClient CreateClient(WorkerSettings settings, HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (settings.ApiKey is { } key)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }
}
