using System.Threading.Channels;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Tokenizers;

namespace CyLlm.Engine.Scheduling;

/// <summary>One request inside the engine loop. Owned by the loop thread only.</summary>
internal sealed class SequenceState : ISchedulable
{
    public required long Id { get; init; }
    public required long Arrival { get; init; }
    public required ServingRequest Request { get; init; }
    public required Sampler Sampler { get; init; }
    /// <summary>The acceptance rule this request's sampled tokens go through (shared with the single-stream engine).</summary>
    public required TokenAcceptor Acceptor { get; init; }
    public required Channel<GeneratedToken> Output { get; init; }
    public required TaskCompletionSource<GenerationResult> Completion { get; init; }

    /// <summary>Completed when the scheduler first takes the request out of the waiting queue (the end of its queue time).</summary>
    public TaskCompletionSource Scheduled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public required CancellationToken Cancel { get; init; }

    /// <summary>Prompt followed by generated tokens.</summary>
    public List<int> Tokens { get; } = [];

    public int PromptLength { get; init; }

    /// <summary>Tokens whose keys and values are in the cache.</summary>
    public int Computed { get; set; }

    /// <summary>Prompt tokens served from the prefix cache.</summary>
    public int CachedTokens { get; set; }

    public List<BlockId> Blocks { get; } = [];

    /// <summary>Prefix hashes of the full blocks so far (chain order).</summary>
    public List<long> BlockHashes { get; } = [];

    /// <summary>Samples of the accepted output tokens (the output processor's; the result's logprobs).</summary>
    public List<SampleResult> Samples { get; } = [];

    /// <summary>
    /// The other choices of an <c>n</c> &gt; 1 request (choice 0 is this sequence), not yet started: when this sequence's
    /// prompt is computed, each samples its first token from the same logits and starts with the prompt's full blocks
    /// shared (<see cref="ServingEngine"/>'s fork). Null once forked, or for n = 1.
    /// </summary>
    public List<SequenceState>? ForkChildren { get; set; }

    /// <summary>Prompt logprobs by position (index 0 null), when the request asks for them; filled by the model runner
    /// as prompt chunks are computed (a recomputation after preemption does not add them twice).</summary>
    public List<SampleResult?>? PromptLogprobs { get; set; }

    /// <summary>Set with <see cref="PromptLogprobs"/> once every prompt position is scored (the prefill is done), so a
    /// stream can send the echoed prompt before the first token; null when the request asks for no prompt logprobs.</summary>
    public TaskCompletionSource<IReadOnlyList<SampleResult?>>? PromptScored { get; set; }

    /// <summary>The output tokens the output processor accepted (the loop's <see cref="Tokens"/> may be one step ahead
    /// after a stop string).</summary>
    public List<int> OutputTokens { get; } = [];

    /// <summary>Output thread: the request is answered (result set or failed); later events are ignored.</summary>
    public bool OutputDone { get; set; }

    /// <summary>Set by the output processor when a stop string ended the request: the loop drops the sequence.</summary>
    public bool StopRequested
    {
        get => Volatile.Read(ref _stopRequested);
        set => Volatile.Write(ref _stopRequested, value);
    }

    private bool _stopRequested;


    public bool Running { get; set; }

    public int Preemptions { get; set; }

    public long EnqueuedTicks { get; init; }

    /// <summary>Output thread: when the first and the latest token were sampled (Stopwatch ticks).</summary>
    public long FirstTokenTicks { get; set; }

    public long LastTokenTicks { get; set; }

    public long ScheduledTicks { get; set; }

    public int Generated => Tokens.Count - PromptLength;

    public int TokenCount => Tokens.Count;

    /// <summary>The request's priority after tenant defaults (set at submission); null means the request's own.</summary>
    public int? EffectivePriority { get; init; }

    public int Priority => EffectivePriority ?? Request.Priority;

    /// <summary>The request's adapter, resolved at submission (held in use until it completes).</summary>
    public AdapterEntry? Adapter { get; init; }

    /// <summary>Disaggregated prefill: compute the prompt's KV only and hand the blocks to <see cref="ExportedBlocks"/> (no sampling).</summary>
    public bool PrefillOnly { get; init; }

    /// <summary>The blocks of a finished <see cref="PrefillOnly"/> sequence, now owned by its KV export.</summary>
    public BlockId[]? ExportedBlocks { get; set; }
}
