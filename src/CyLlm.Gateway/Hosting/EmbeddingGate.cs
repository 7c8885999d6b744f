using System.Runtime.CompilerServices;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// The queue in front of a model's embedding computation (the engine embeds on its single-stream session, one request
/// at a time): requests wait asynchronously for the one slot — no request thread blocked, cancellable by the client
/// and by the request's deadline while waiting and between inputs — and at most <see cref="GatewayOptions.MaxQueue"/>
/// wait; one more is refused at once (<see cref="ServerOverloadedException"/>, a 503 with Retry-After). The
/// computation runs on a dedicated thread, since the engine blocks for its whole duration.
/// </summary>
public sealed class EmbeddingGate
{
    private static readonly ConditionalWeakTable<IInferenceBackend, EmbeddingGate> Gates = new();

    private readonly SingleSlot _slot = new();

    /// <summary>The gate of <paramref name="backend"/> (one per model, created on first use).</summary>
    public static EmbeddingGate For(IInferenceBackend backend) => Gates.GetValue(backend, static _ => new EmbeddingGate());

    /// <summary>Requests waiting for the slot now.</summary>
    public int Waiting => _slot.Waiting;

    /// <summary>Embeds every input in order; throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires while waiting or between inputs.</summary>
    public async Task<float[][]> EmbedAsync(IInferenceBackend backend, IReadOnlyList<int[]> inputs, int maxWaiting, CancellationToken cancellationToken)
    {
        _slot.Enter(maxWaiting, "embedding requests");
        if (!await _slot.AcquireAsync(cancellationToken))
        {
            throw new OperationCanceledException(cancellationToken);
        }

        try
        {
            return await SingleSlot.RunDedicated(
                () =>
                {
                    var vectors = new float[inputs.Count][];
                    for (int i = 0; i < inputs.Count; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        vectors[i] = backend.Embed(inputs[i]);
                    }

                    return vectors;
                },
                cancellationToken);
        }
        finally
        {
            _slot.Release();
        }
    }
}
