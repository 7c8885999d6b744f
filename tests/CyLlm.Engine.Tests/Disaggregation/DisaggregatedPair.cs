using System.Diagnostics.Metrics;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>A prefill server and a decode client in one process, each with its own serving engine, meeting through an in-memory registry.</summary>
internal sealed class DisaggregatedPair : IAsyncDisposable
{
    private readonly MeterListener _listener = new();
    private int _resumes;

    private DisaggregatedPair(ServingEngine prefillEngine, ServingEngine decodeEngine, PrefillServer prefill, DecodeClient decode)
    {
        PrefillEngine = prefillEngine;
        DecodeEngine = decodeEngine;
        Prefill = prefill;
        Decode = decode;
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == DisaggregationMetrics.MeterName && i.Name == "cyllm_kv_transfer_resumes")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "role" && (string?)t.Value == "prefill")
                {
                    Interlocked.Add(ref _resumes, v);
                }
            }
        });
        _listener.Start();
    }

    public ServingEngine PrefillEngine { get; }

    public ServingEngine DecodeEngine { get; }

    public PrefillServer Prefill { get; }

    public DecodeClient Decode { get; }

    /// <summary>Resumes the prefill side recorded (the per-request histogram, summed).</summary>
    public int PrefillResumes => Volatile.Read(ref _resumes);

    public static Task<DisaggregatedPair> StartAsync(InferenceEngine prefillModel, InferenceEngine decodeModel, DisaggregationOptions options,
        Engine.KvCache.KvCacheType kvType = Engine.KvCache.KvCacheType.F16)
    {
        var registry = new InMemoryBootstrapRegistry();
        var serving = new ServingOptions { KvCacheBytes = 8 << 20, KvType = kvType };
        var pe = new ServingEngine(prefillModel, serving);
        var de = new ServingEngine(decodeModel, serving);
        return Task.FromResult(new DisaggregatedPair(pe, de, new PrefillServer(pe, registry, options), new DecodeClient(de, registry, options)));
    }

    /// <summary>No room state left and both pools back to no used blocks.</summary>
    public async Task AssertDrainedAsync()
    {
        for (int i = 0; i < 500 && (Prefill.ActiveRooms > 0 || Decode.ActiveRooms > 0 || PrefillEngine.UsedBlocks > 0 || DecodeEngine.UsedBlocks > 0); i++)
        {
            await Task.Delay(10); // the loops publish their gauges between steps
        }

        Assert.Equal(0, Prefill.ActiveRooms);
        Assert.Equal(0, Decode.ActiveRooms);
        Assert.Equal(0, PrefillEngine.UsedBlocks);
        Assert.Equal(0, DecodeEngine.UsedBlocks);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await Decode.DisposeAsync();
        await Prefill.DisposeAsync();
        DecodeEngine.Dispose();
        PrefillEngine.Dispose();
    }
}
