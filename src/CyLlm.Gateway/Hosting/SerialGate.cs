using System.Threading.Channels;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Gateway.Hosting;

/// <summary>A generation that runs synchronously on its caller's thread, reporting each token (a single-stream engine).</summary>
public delegate GenerationResult SyncGeneration(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken);

/// <summary>
/// Adapts a single-stream backend (one generation at a time, synchronous) to <see cref="IInferenceBackend.Start"/>:
/// requests wait asynchronously for the one slot (FIFO, cancellable, nothing blocked while waiting), at most
/// <see cref="MaxWaiting"/> of them (more are refused at once: <see cref="ServerOverloadedException"/>, a 503), and the
/// request holding the slot runs on one dedicated thread, since the engine itself blocks for the whole generation.
/// </summary>
public sealed class SerialGate(SyncGeneration generate, int maxWaiting = 64)
{
    private readonly SingleSlot _slot = new();

    /// <summary>Requests waiting for the slot.</summary>
    public int Waiting => _slot.Waiting;

    /// <summary>Most requests that may wait; settable so a server applies its --max-queue to a backend it was given.</summary>
    public int MaxWaiting { get; set; } = maxWaiting;

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken)
    {
        _slot.Enter(MaxWaiting, "requests");
        var tokens = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new GenerationStream(tokens.Reader, started.Task, RunAsync(request, tokens.Writer, started, cancellationToken));
    }

    private async Task<GenerationResult> RunAsync(GenerationRequest request, ChannelWriter<GeneratedToken> tokens, TaskCompletionSource started, CancellationToken ct)
    {
        try
        {
            if (!await _slot.AcquireAsync(ct))
            {
                return new GenerationResult(request.PromptTokens?.ToArray() ?? [], [], "", FinishReason.Cancelled, [], 0, 0, 0);
            }

            try
            {
                started.TrySetResult();
                return await SingleSlot.RunDedicated(() => generate(request, t => tokens.TryWrite(t), ct), CancellationToken.None);
            }
            finally
            {
                _slot.Release();
            }
        }
        finally
        {
            tokens.TryComplete();
        }
    }
}
