namespace CyLlm.Engine.Scheduling;

/// <summary>
/// The CPU form of GPU out-of-memory: a request (or the pool itself) needs more KV memory than exists. The
/// message says what was needed, what is available and what to change.
/// </summary>
public sealed class KvCapacityException(string message) : Exception(message)
{
    /// <summary>Tokens of KV the request needs (prompt + max_tokens); 0 when the pool itself is too small.</summary>
    public long NeededTokens { get; private init; }

    /// <summary>Tokens the whole pool holds; 0 when the pool itself is too small.</summary>
    public long PoolTokens { get; private init; }

    public static KvCapacityException ForRequest(int tokens, int blockTokens, int blocksNeeded, int blocksTotal, long blockBytes) => new(
        $"the request needs {tokens} tokens of KV cache ({blocksNeeded} blocks of {blockTokens}, {blocksNeeded * blockBytes / (1 << 20)} MiB) " +
        $"but the pool holds {(long)blocksTotal * blockTokens} tokens ({blocksTotal} blocks, {blocksTotal * blockBytes / (1 << 20)} MiB); " +
        "use a shorter prompt or smaller max_tokens, raise the KV cache budget, or use a model with fewer layers or KV heads")
    {
        NeededTokens = tokens,
        PoolTokens = (long)blocksTotal * blockTokens,
    };
}
