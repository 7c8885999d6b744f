using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Tokenizers;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Hooks for disaggregated serving (docs/disaggregation.md). Prefill side: <see cref="PrefillForExportAsync"/> runs the
/// prompt's KV (all tokens but the last) through the normal batching loop and keeps the blocks; <see cref="ReadKvBlock"/>
/// copies them out. Decode side: <see cref="ReserveKvBlocksAsync"/> allocates destination blocks, <see cref="WriteKvBlock"/>
/// fills them, <see cref="SubmitImported"/> starts decoding from the imported prefix (the last prompt token is computed
/// locally, which yields the first token's logits). Pool bookkeeping runs on the loop thread (queued commands); block
/// memory is read and written directly, which is safe because a reserved or exported block has exactly one owner.
/// </summary>
public sealed partial class ServingEngine
{
    private readonly ConcurrentQueue<Action> _loopCommands = new();

    /// <summary>Layout of this engine's KV pool (what the transfer protocol checks both sides agree on).</summary>
    public KvLayout KvLayout => new(_engine.Config.Layers, _engine.Config.KvHeads * _engine.Config.HeadDim, _options.BlockTokens, _options.KvType);

    public int BlockTokens => _options.BlockTokens;

    /// <summary>
    /// Computes the KV of <paramref name="request"/>'s prompt except its last token and returns the blocks holding it
    /// (held until the export is disposed). A one-token prompt needs no KV: the export is empty.
    /// </summary>
    public async Task<KvExport> PrefillForExportAsync(ServingRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        int kvTokens = request.PromptTokens.Length - 1;
        if (kvTokens < 0)
        {
            throw new ArgumentException("the prompt is empty");
        }

        if (kvTokens == 0)
        {
            return new KvExport(this, 0, []);
        }

        var prefix = request.PromptTokens[..kvTokens];
        var handle = Submit(request with { PromptTokens = prefix, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 1 } }, cancellationToken, prefillOnly: true, out var seq);
        var result = await handle.Completion;
        if (seq.ExportedBlocks is not { } blocks)
        {
            throw new OperationCanceledException($"prefill ended ({result.FinishReason}) before its KV was complete");
        }

        return new KvExport(this, kvTokens, blocks);
    }

    /// <summary>
    /// Allocates up to <paramref name="count"/> free blocks for incoming KV (fewer when the pool is short; none when full).
    /// They count as used until released or handed to <see cref="SubmitImported"/>.
    /// </summary>
    public Task<BlockId[]> ReserveKvBlocksAsync(int count) => OnLoop(() =>
    {
        var got = new List<BlockId>(count);
        while (got.Count < count && _pool.Allocate() is { } b)
        {
            got.Add(b);
        }

        return got.ToArray();
    });

    /// <summary>Releases reserved or exported blocks (a failed or finished transfer).</summary>
    public Task ReleaseKvBlocksAsync(IReadOnlyList<BlockId> blocks) => OnLoop(() =>
    {
        foreach (var b in blocks)
        {
            _pool.Release(b);
        }

        return true;
    });

    /// <summary>Copies one block (per layer: keys then values, <see cref="KvLayout.BlockBytes"/> bytes) out of the pool.</summary>
    public void ReadKvBlock(BlockId block, Span<byte> destination) => _kv.ReadBlock(block, destination);

    /// <summary>Writes one block received from a peer into a reserved block (layout as <see cref="ReadKvBlock"/>).</summary>
    public void WriteKvBlock(BlockId block, ReadOnlySpan<byte> source) => _kv.WriteBlock(block, source);

    /// <summary>
    /// Starts <paramref name="request"/> whose first <paramref name="kvTokens"/> prompt positions are already in
    /// <paramref name="blocks"/> (received from a prefill worker). The blocks pass to the sequence (freed when it ends).
    /// </summary>
    public ServingHandle SubmitImported(ServingRequest request, IReadOnlyList<BlockId> blocks, int kvTokens, CancellationToken cancellationToken = default)
    {
        int bt = _options.BlockTokens;
        if (kvTokens < 0 || kvTokens >= request.PromptTokens.Length || blocks.Count * bt < kvTokens)
        {
            throw new ArgumentException($"{kvTokens} imported KV positions do not fit a {request.PromptTokens.Length}-token prompt in {blocks.Count} blocks");
        }

        var handle = Submit(request, cancellationToken, prefillOnly: false, out var seq, blocks, kvTokens);
        _ = seq;
        return handle;
    }

    /// <summary>Loop thread: a prefill-only sequence computed its KV. Its blocks pass to the export; nothing is sampled.</summary>
    private void CompletePrefillOnly(SequenceState s)
    {
        _scheduler.Running.Remove(s);
        s.Running = false;
        s.ExportedBlocks = [.. s.Blocks];
        s.Blocks.Clear();
        s.BlockHashes.Clear();
        ReleaseAdapter(s);
        s.Output.Writer.TryComplete();
        s.Completion.TrySetResult(new GenerationResult([.. s.Tokens], [], "", FinishReason.Length, [], 0, 0, 0));
    }

    /// <summary>Runs queued pool commands (loop thread only).</summary>
    private void RunLoopCommands()
    {
        while (_loopCommands.TryDequeue(out var command))
        {
            command();
        }
    }

    private Task<T> OnLoop<T>(Func<T> command)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loopCommands.Enqueue(() =>
        {
            try
            {
                tcs.TrySetResult(command());
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
        });
        _signal.Release();
        return tcs.Task;
    }

    /// <summary>Submit for the disaggregated paths: the same factory as <see cref="Submit(ServingRequest, CancellationToken)"/>.</summary>
    private ServingHandle Submit(ServingRequest request, CancellationToken cancellationToken, bool prefillOnly, out SequenceState seq,
        IReadOnlyList<BlockId>? importedBlocks = null, int importedTokens = 0) =>
        Enqueue(request, cancellationToken, prefillOnly, importedBlocks, importedTokens, out seq);
}
