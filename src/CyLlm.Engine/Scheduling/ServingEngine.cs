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
/// sequence is preempted and recomputed later. One loop thread owns all state; callers submit requests and
/// read tokens from a channel. The model and its weights are shared with the <see cref="InferenceEngine"/>.
/// </summary>
public sealed partial class ServingEngine : IDisposable, ISchedulerHooks<SequenceState>
{
    private readonly InferenceEngine _engine;
    private readonly ITokenizer _tokenizer;
    private readonly ForwardPass _forward;
    private readonly PagedKvStorage _storage;
    private readonly BlockPool _pool;
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

        _storage = new PagedKvStorage(c.Layers, kvDim, _options.BlockTokens, blocks, _options.KvType);
        _pool = new BlockPool(blocks, _options.Eviction);
        _scheduler = new Scheduler<SequenceState>(_pool, _options.BlockTokens, _options.MaxRunning, _options.TokenBudget, this);
        _forward = new ForwardPass(engine.Weights, engine.Pool, _options.TokenBudget, engine.ContextTokens);
        Metrics = new ServingMetrics(() => Volatile.Read(ref _runningCount), () => Volatile.Read(ref _waitingCount), () => KvUsage, _options.PercentileWindow);
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
        IReadOnlyList<BlockId>? importedBlocks, int importedTokens, out SequenceState seq)
    {
        CheckRequest(request);
        var sp = request.Sampling;
        if (Interlocked.Increment(ref _waitingCount) > _options.MaxWaiting
            || Interlocked.Add(ref _waitingTokens, request.PromptTokens.Length) > _options.MaxWaitingTokens)
        {
            if (importedBlocks is null)
            {
                Interlocked.Decrement(ref _waitingCount);
                Interlocked.Add(ref _waitingTokens, -request.PromptTokens.Length);
                throw new ServerOverloadedException($"the server is overloaded: {_options.MaxWaiting} requests or {_options.MaxWaitingTokens} prompt tokens are already waiting; retry later");
            }
        }

        var adapter = Acquire(request.Adapter);
        seq = new SequenceState
        {
            Adapter = adapter,
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
        };
        seq.Tokens.AddRange(request.PromptTokens);
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

        var s = seq;
        return new ServingHandle(s.Output.Reader, s.Scheduled.Task, s.Completion.Task, () => s.CachedTokens);
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
        foreach (var s in _scheduler.Waiting.Concat(_scheduler.Running))
        {
            s.Completion.TrySetCanceled();
            s.Output.Writer.TryComplete();
        }

        _forward.Dispose();
        _storage.Dispose();
        Metrics.Dispose();
        _signal.Dispose();
    }
}
