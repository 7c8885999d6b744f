namespace CyLlm.Training;

/// <summary>
/// SplitMix64: a tiny, fully serializable PRNG (one ulong of state) so checkpoints can record it and a resumed run
/// draws exactly the numbers an uninterrupted one would. Streams for shuffling and dropout are derived from
/// (seed, purpose, indices) with <see cref="Derive"/>, so most randomness needs no stored state at all.
/// </summary>
public struct TrainingRng
{
    public TrainingRng(ulong state) => State = state;

    public ulong State { get; set; }

    public static TrainingRng Derive(long seed, ulong purpose, ulong a = 0, ulong b = 0, ulong c = 0)
    {
        var r = new TrainingRng((ulong)seed ^ (purpose * 0x9E3779B97F4A7C15UL));
        r.State ^= r.NextULong() + a;
        r.State ^= r.NextULong() + b;
        r.State ^= r.NextULong() + c;
        r.NextULong();
        return r;
    }

    public ulong NextULong()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 bits.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, n).</summary>
    public int NextInt(int n) => (int)((NextULong() >> 33) % (ulong)n);

    /// <summary>Standard normal (Box–Muller, one of the pair).</summary>
    public float NextGaussian()
    {
        double u1 = ((NextULong() >> 11) + 1.0) / 9007199254740993.0;
        double u2 = (NextULong() >> 11) / 9007199254740992.0;
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
