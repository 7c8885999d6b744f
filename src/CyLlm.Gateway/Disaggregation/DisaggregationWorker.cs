using System.Net;
using System.Runtime.CompilerServices;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The prefill server or decode client of a worker gateway, created on first use over the loaded model's serving
/// engine (one per gateway) and disposed when the gateway stops.
/// </summary>
public sealed class DisaggregationWorker : IAsyncDisposable
{
    private static readonly ConditionalWeakTable<GatewayState, DisaggregationWorker> Workers = new();

    private DisaggregationWorker(ServingEngine serving, DisaggregationSettings settings, ILogger log)
    {
        Settings = settings;
        Registry = settings.BootstrapRedis is { } redis
            ? RedisBootstrapRegistry.Connect(redis, settings.RegistryTtl, log: log)
            : new BootstrapClient(settings.Bootstrap ?? throw new InvalidOperationException("a worker needs a bootstrap registry"), settings.Transfer.SharedSecret);
        if (settings.Role == ServeRole.Prefill)
        {
            Prefill = new PrefillServer(serving, Registry, settings.Transfer, new IPEndPoint(IPAddress.Parse(settings.KvHost), settings.KvPort));
        }
        else
        {
            Decode = new DecodeClient(serving, Registry, settings.Transfer);
        }
    }

    public DisaggregationSettings Settings { get; }

    /// <summary>Where this worker meets its peers: the router's <see cref="BootstrapServer"/> or Redis.</summary>
    public IBootstrapRegistry Registry { get; }

    public PrefillServer? Prefill { get; }

    public DecodeClient? Decode { get; }

    /// <summary>The worker of <paramref name="state"/>'s gateway in <paramref name="role"/>; a clear 404 when the gateway has another role.</summary>
    public static DisaggregationWorker For(GatewayState state, ServeRole role, ILogger? log = null)
    {
        var settings = state.Options.Disaggregation;
        if (settings is null || settings.Role != role)
        {
            string name = role.ToString().ToLowerInvariant();
            throw new ApiError(404, ErrorCodes.NotFound, $"This server is not a {name} worker. Fix: start it with cyllm serve --role {name} --bootstrap HOST:PORT");
        }

        var backend = state.RequireBackend();
        var serving = (backend as EngineBackend)?.Serving
            ?? throw new ApiError(400, ErrorCodes.InvalidRequest, "Disaggregated serving needs the continuous-batching engine. Fix: do not disable continuous batching on workers");
        lock (Workers)
        {
            if (!Workers.TryGetValue(state, out var w))
            {
                w = new DisaggregationWorker(serving, settings, log ?? NullLogger.Instance);
                Workers.Add(state, w);
            }

            return w;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Prefill is not null)
        {
            await Prefill.DisposeAsync();
        }

        if (Decode is not null)
        {
            await Decode.DisposeAsync();
        }

        (Registry as IDisposable)?.Dispose();
    }

    /// <summary>Disposes the worker of <paramref name="state"/>, if one was created.</summary>
    public static async Task StopAsync(GatewayState state)
    {
        DisaggregationWorker? w;
        lock (Workers)
        {
            if (!Workers.TryGetValue(state, out w))
            {
                return;
            }

            Workers.Remove(state);
        }

        await w.DisposeAsync();
    }
}
