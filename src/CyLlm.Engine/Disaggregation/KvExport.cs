using CyLlm.Engine.KvCache;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The KV of a prefilled prompt held in the prefill engine's pool: <see cref="Blocks"/> cover positions [0, KvTokens)
/// in order. The blocks stay referenced until <see cref="ReleaseAsync"/> (after the last chunk, a failure or an abort).
/// </summary>
public sealed class KvExport(ServingEngine engine, int kvTokens, BlockId[] blocks)
{
    private int _released;

    public int KvTokens { get; } = kvTokens;

    public IReadOnlyList<BlockId> Blocks { get; } = blocks;

    public ServingEngine Engine { get; } = engine;

    /// <summary>Returns the blocks to the pool once (later calls do nothing).</summary>
    public Task ReleaseAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 && Blocks.Count > 0 ? Engine.ReleaseKvBlocksAsync(Blocks) : Task.CompletedTask;
}
