using System.Threading.Channels;
using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// One generation waiting for or running on the worker. The handler and the worker race on
/// <see cref="_state"/>: the worker claims it (Queued → Running) or the handler abandons it (Queued →
/// Abandoned, on queue timeout or disconnect), never both.
/// </summary>
public sealed class WorkItem(GenerationRequest request, bool streaming, CancellationToken cancellationToken)
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Abandoned = 2;
    private int _state;

    public GenerationRequest Request { get; } = request;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Token events for streaming requests (null otherwise); completed when generation ends.</summary>
    public Channel<GeneratedToken>? Tokens { get; } = streaming ? Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }) : null;

    /// <summary>Completes when the worker picks the item up.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<GenerationResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stopwatch timestamp of enqueueing, for queue-time accounting.</summary>
    public long EnqueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The request's span (the handler's Activity) the engine spans hang under; default when not traced.</summary>
    public System.Diagnostics.ActivityContext TraceParent { get; } = System.Diagnostics.Activity.Current?.Context ?? default;

    /// <summary>Wall-clock enqueue time, the start of the "queue" span.</summary>
    public DateTimeOffset EnqueuedAtUtc { get; } = DateTimeOffset.UtcNow;

    internal bool TryClaim() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;
}
