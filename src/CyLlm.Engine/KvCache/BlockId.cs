namespace CyLlm.Engine.KvCache;

/// <summary>A physical KV block in the pool.</summary>
public readonly record struct BlockId(int Value)
{
    public override string ToString() => $"block#{Value}";
}
