namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Identity of a full KV block for the prefix cache: a 64-bit FNV-1a-style chain over (parent block hash,
/// the block's tokens, adapter id, tenant cache salt). Two requests share a block only if everything before
/// and in it is identical and they may see each other's cache.
/// </summary>
public static class PrefixHash
{
    private const ulong Prime = 1099511628211UL;
    private const ulong Offset = 14695981039346656037UL;

    public static long Block(long parent, ReadOnlySpan<int> tokens, int adapterId, long salt)
    {
        ulong h = Offset;
        h = Mix(h, (ulong)parent);
        h = Mix(h, (ulong)adapterId);
        h = Mix(h, (ulong)salt);
        foreach (int t in tokens)
        {
            h = Mix(h, (uint)t);
        }

        return (long)(h == 0 ? 1 : h);
    }

    private static ulong Mix(ulong h, ulong v)
    {
        for (int i = 0; i < 8; i++)
        {
            h ^= (v >> (i * 8)) & 0xFF;
            h *= Prime;
        }

        return h;
    }
}
