namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>A set of bytes as a 256-bit bitmap: the terminal of the byte-level grammar.</summary>
internal readonly record struct ByteSet(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public static ByteSet Single(byte b) => Range(b, b);

    public static ByteSet Range(int lo, int hi)
    {
        Span<ulong> w = stackalloc ulong[4];
        for (int b = lo; b <= hi; b++)
        {
            w[b >> 6] |= 1UL << (b & 63);
        }

        return new ByteSet(w[0], w[1], w[2], w[3]);
    }

    public ByteSet Union(ByteSet o) => new(W0 | o.W0, W1 | o.W1, W2 | o.W2, W3 | o.W3);

    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;
}
