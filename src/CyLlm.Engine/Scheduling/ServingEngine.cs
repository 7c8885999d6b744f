using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using CyLlm.Engine.Execution;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Tokenizers;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Continuous batching over a paged KV cache, vLLM-style: every iteration the scheduler fills a token budget
/// with one decode token per running sequence and prefill chunks of waiting ones (priority first, FCFS
/// within a priority), reusing cached prefix blocks; when blocks run out the lowest-priority, latest-arrived
/// sequence is preempted and recomputed later. The engine composes the pieces vLLM v1 separates: the pure
/// <see cref="Scheduler{T}"/>, the <see cref="KvCacheManager"/> (blocks, prefix hashes), the
/// <see cref="ModelRunner"/> (step arrays → forward pass → sampling) and the <see cref="OutputProcessor"/>
/// (detokenizing, stop strings, channel writes, per-request metrics) on its own thread. One loop thread owns the
/// scheduling state; callers submit requests and read tokens from a channel. The model and its weights are shared
/// with the <see cref="InferenceEngine"/>.
/// </summary>
public sealed partial class ServingEngine : IDisposable, ISchedulerHooks<SequenceState>
{
    private readonly InferenceEngine _engine;
    private readonly ITokenizer _tokenizer;
    private readonly ModelRunner _runner;
    private readonly KvCacheManager _kv;
    private readonly BlockPool _pool;            // _kv.Pool
    private readonly OutputProcessor _output;
    private readonly ServingOptions _options;
    private readonly ConcurrentQueue<SequenceState> _incoming = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Scheduler<SequenceState> _scheduler;
    private readonly Thread _loop;
    private readonly long _blockBytes;
    private volatile bool _stopping;
    private long _nextId;
    private int _waitingCount;
    private long _waitingTokens;

    public ServingEngine(InferenceEngine engine, ServingOptions? options = null)
    {
        _engine = engine;
        _options = options ?? new ServingOptions();
        _tokenizer = engine.Tokenizer ?? throw new InvalidOperationException("the model has no tokenizer");
        var c = engine.Config;
        int kvDim = c.KvHeads * c.HeadDim;
        if (KvCacheTypeInfo.Validate(_options.KvType, kvDim, c.HeadDim) is { } kvError)
        {
            throw new ArgumentException(kvError);
        }

        _blockBytes = PagedKvStorage.BlockBytes(c.Layers, kvDim, _options.BlockTokens, _options.KvType);
        int blocks = (int)Math.Min(int.MaxValue, _options.KvCacheBytes / _blockBytes);
        int minBlocks = (Math.Min(engine.ContextTokens, 64) + _options.BlockTokens - 1) / _options.BlockTokens;
        if (blocks < minBlocks)
        {
            throw new KvCapacityException(
                $"a KV cache budget of {_options.KvCacheBytes >> 20} MiB holds {blocks} blocks of {_options.BlockTokens} tokens " +
                $"({_blockBytes} bytes each) but at least {minBlocks} are needed; raise the budget or shorten the context");
        }

        _kv = new KvCacheManager(c.Layers, kvDim, _options.BlockTokens, blocks, _options.KvType, _options.Eviction, _options.PrefixCaching);
        _pool = _kv.Pool;
        _scheduler = new Scheduler<SequenceState>(_pool, _options.BlockTokens, _options.MaxRunning, _options.TokenBudget, this);
        _runner = new ModelRunner(engine.Weights, engine.Pool, _options.TokenBudget, engine.ContextTokens, c.VocabSize);
        Metrics = new ServingMetrics(() => Volatile.Read(ref _runningCount), () => Volatile.Read(ref _waitingCount), () => KvUsage, _options.PercentileWindow);
        _output = new OutputProcessor(Metrics, () => _signal.Release());
        _loop = new Thread(Loop) { IsBackground = true, Name = "cyllm-serving-loop" };
        _loop.Start();
    }

    public ServingMetrics Metrics { get; }

    /// <summary>Bytes of one KV block (all layers, keys and values) for a model and options.</summary>
    public static long BlockBytes(Models.ModelConfig config, ServingOptions options) =>
        PagedKvStorage.BlockBytes(config.Layers, config.KvHeads * config.HeadDim, options.BlockTokens, options.KvType);

    public InferenceEngine Engine => _engine;

    /// <summary>Requests in the waiting queue (submitted, not yet running, preempted ones included).</summary>
    public int Waiting => Volatile.Read(ref _waitingCount);

    /// <summary>Most requests the waiting queue holds before Submit refuses with <see cref="ServerOverloadedException"/>.</summary>
    public int MaxWaiting => _options.MaxWaiting;

    public int TotalBlocks => _pool.Total;

    /// <summary>Blocks referenced by running sequences (a snapshot; the loop thread updates it).</summary>
    public int UsedBlocks => Volatile.Read(ref _usedBlocks);

    public double KvUsage => (double)UsedBlocks / _pool.Total;

    public long PrefixQueries => Volatile.Read(ref _prefixQueries);

    public long PrefixHits => Volatile.Read(ref _prefixHits);

    public long TotalPreemptions => Volatile.Read(ref _preemptions);

    private int _usedBlocks;
    private int _runningCount;
    private long _prefixQueries;
    private long _prefixHits;
    private long _preemptions;

    /// <summary>
    /// Most tokens (prompt + generated) one request can hold: the context, or the whole KV pool when that is smaller.
    /// The gateway clamps an omitted max_tokens to it, as llama-server and vLLM do.
    /// </summary>
    public int MaxRequestTokens => (int)Math.Min(_engine.ContextTokens, (long)_pool.Total * _options.BlockTokens);

    /// <summary>
    /// The checks every submission passes before it queues (the local and the disaggregated paths): engine running,
    /// valid sampling, a non-empty prompt inside the vocabulary, prompt + max_tokens within the context, and a
    /// request that fits the whole KV pool. Throws (<see cref="ContextLengthException"/>, <see cref="KvCapacityException"/>,
    /// <see cref="ArgumentException"/>); never queues. Public so a decode worker can refuse a request before its KV transfer.
    /// </summary>
    public void CheckRequest(ServingRequest request)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        var sp = request.Sampling;
        if (sp.Validate() is { } error)
        {
            throw new ArgumentException(error);
        }

        if (request.PromptTokens.Length == 0)
        {
            throw new ArgumentException("the prompt is empty");
        }

        foreach (int t in request.PromptTokens)
        {
            if ((uint)t >= (uint)_engine.Config.VocabSize)
            {
                throw new ArgumentException($"prompt token id {t} is outside the vocabulary (0..{_engine.Config.VocabSize - 1})");
            }
        }

        if (request.PromptLogprobs is { } pl && (pl < 0 || pl > 20))
        {
            throw new ArgumentException("prompt logprobs must be between 0 and 20 alternatives");
        }

        // In long: max_tokens comes from the client, and int.MaxValue plus a prompt would wrap negative and pass.
        long total = (long)request.PromptTokens.Length + sp.MaxTokens;
        if (sp.MaxTokens < 0 || total > _engine.ContextTokens)
        {
            throw new ContextLengthException(request.PromptTokens.Length, sp.MaxTokens, _engine.ContextTokens);
        }

        int tokens = (int)total; // <= ContextTokens
        int blocksNeeded = (tokens + _options.BlockTokens - 1) / _options.BlockTokens;
        if (blocksNeeded > _pool.Total)
        {
            throw KvCapacityException.ForRequest(tokens, _options.BlockTokens, blocksNeeded, _pool.Total, _blockBytes);
        }
    }

    /// <summary>
    /// Queues a request. Tokens arrive on the handle's channel as they are generated; cancelling
    /// <paramref name="cancellationToken"/> stops it within one iteration and frees its blocks.
    /// </summary>
    public ServingHandle Submit(ServingRequest request, CancellationToken cancellationToken = default) =>
        Enqueue(request, cancellationToken, prefillOnly: false, importedBlocks: null, importedTokens: 0, out _);

    /// <summary>
    /// The one request factory, for local and disaggregated submissions alike: the same checks, the same admission
    /// bound (requests and prompt tokens waiting; a decode request whose KV already arrived is not refused, its
    /// transfer is done), the same priority resolution and the same token-acceptance rule.
    /// </summary>
    private ServingHandle Enqueue(ServingRequest request, CancellationToken cancellationToken, bool prefillOnly,
        IReadOnlyList<BlockId>? importedBlocks, int importedTokens, out SequenceState seq, List<SequenceState>? forkChildren = null)
    {
        CheckRequest(request);
        if (Interlocked.Increment(ref _waitingCount) > _options.MaxWaiting
            || Interlocked.Add(ref _waitingTokens, request.PromptTokens.Length) > _options.MaxWaitingTokens)
        {
            if (importedBlocks is null)
            {
                Interlocked.Decrement(ref _waitingCount);
                Interlocked.Add(ref _waitingTokens, -request.PromptTokens.Length);
                foreach (var c in forkChildren ?? [])
                {
                    ReleaseAdapter(c);
                }

                throw new ServerOverloadedException($"the server is overloaded: {_options.MaxWaiting} requests or {_options.MaxWaitingTokens} prompt tokens are already waiting; retry later");
            }
        }

        seq = NewSequence(request, cancellationToken, prefillOnly);
        seq.ForkChildren = forkChildren;
        if (importedBlocks is not null)
        {
            seq.Blocks.AddRange(importedBlocks);
            seq.Computed = importedTokens;
        }

        _incoming.Enqueue(seq);
        _signal.Release();
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => _signal.Release());
        }

        return Handle(seq);
    }

    private static ServingHandle Handle(SequenceState s) => new(s.Output.Reader, s.Scheduled.Task, s.Completion.Task, () => s.CachedTokens, s.PromptScored?.Task);

    /// <summary>A sequence for <paramref name="request"/> (its adapter acquired), not yet queued.</summary>
    private SequenceState NewSequence(ServingRequest request, CancellationToken cancellationToken, bool prefillOnly)
    {
        var sp = request.Sampling;
        var seq = new SequenceState
        {
            Adapter = Acquire(request.Adapter),
            Id = Interlocked.Increment(ref _nextId),
            Arrival = Stopwatch.GetTimestamp(),
            Request = request,
            EffectivePriority = ResolvePriority(request),
            Sampler = new Sampler(sp, _tokenizer.EndOfGenerationIds, request.PromptTokens, _tokenizer),
            Acceptor = new TokenAcceptor(sp, _tokenizer, request.PromptTokens, _engine.ContextTokens),
            Output = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }),
            Completion = new TaskCompletionSource<GenerationResult>(TaskCreationOptions.RunContinuationsAsynchronously),
            Cancel = cancellationToken,
            PromptLength = request.PromptTokens.Length,
            EnqueuedTicks = Stopwatch.GetTimestamp(),
            PrefillOnly = prefillOnly,
            PromptLogprobs = request.PromptLogprobs is null ? null : [null],
            PromptScored = request.PromptLogprobs is null ? null : new(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        seq.Tokens.AddRange(request.PromptTokens);
        if (seq.PromptLength <= 1)
        {
            // Nothing to compute: the first token's logprob is null by definition.
            seq.PromptScored?.TrySetResult(seq.PromptLogprobs!);
        }

        return seq;
    }

    /// <summary>
    /// Queues a request for <paramref name="n"/> choices (OpenAI's <c>n</c>): the prompt is computed once, by choice 0;
    /// when its logits are ready every choice samples its first token from them, and choices 1..n−1 start with the
    /// prompt's full KV blocks shared (a block pool reference each; only the partial last block, fewer than a block's
    /// tokens, is computed per choice). Choice i samples with seed + i when the request has a seed, so it is the same as a
    /// lone request with that seed. Returns one handle per choice, in choice order.
    /// </summary>
    public ServingHandle[] SubmitMany(ServingRequest request, int n, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (n == 1)
        {
            return [Submit(request, cancellationToken)];
        }

        if (request.Sampling.Seed is null)
        {
            // One drawn seed for the group, so that the choices' streams are distinct and each is seed + i.
            request = request with { Sampling = request.Sampling with { Seed = Random.Shared.NextInt64(int.MaxValue) } };
        }

        CheckRequest(request);
        var children = new List<SequenceState>(n - 1);
        try
        {
            for (int i = 1; i < n; i++)
            {
                var child = request with { Sampling = request.Sampling with { Seed = request.Sampling.Seed + i }, PromptLogprobs = null };
                children.Add(NewSequence(child, cancellationToken, prefillOnly: false));
            }
        }
        catch
        {
            foreach (var c in children)
            {
                ReleaseAdapter(c);
            }

            throw;
        }

        var handles = new ServingHandle[n];
        handles[0] = Enqueue(request, cancellationToken, prefillOnly: false, importedBlocks: null, importedTokens: 0, out var parent, children);
        for (int i = 1; i < n; i++)
        {
            handles[i] = Handle(children[i - 1]);
        }

        _ = parent;
        return handles;
    }

    /// <summary>Runs a request to completion and returns its result (tokens are not streamed).</summary>
    public Task<GenerationResult> GenerateAsync(ServingRequest request, CancellationToken cancellationToken = default) =>
        Submit(request, cancellationToken).Completion;

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _signal.Release();
        _loop.Join();
        _output.Dispose(); // answers what the loop handed over before it stopped
        foreach (var s in _scheduler.Waiting.Concat(_scheduler.Running).SelectMany(s => (s.ForkChildren ?? []).Prepend(s)))
        {
            s.Completion.TrySetCanceled();
            s.Output.Writer.TryComplete();
        }

        _runner.Dispose();
        _kv.Dispose();
        Metrics.Dispose();
        _signal.Dispose();
    }
}
