namespace CyLlm.Engine.KvCache;

/// <summary>Which cached (unreferenced) block is reused first when the pool needs a free one. Persisted in
/// configuration: values frozen.</summary>
public enum EvictionPolicy
{
    /// <summary>Least recently used first.</summary>
    Lru = 0,

    /// <summary>Least frequently used first (ties: least recently used).</summary>
    Lfu = 1,
}
