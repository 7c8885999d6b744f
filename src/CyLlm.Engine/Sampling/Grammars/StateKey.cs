namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>A matcher state's content as a dictionary key: a prefix of an int array and its precomputed hash
/// (lookups wrap the matcher's scratch buffer, so probing allocates nothing).</summary>
internal readonly struct StateKey(int[] data, int length, int hash) : IEquatable<StateKey>
{
    private readonly int[] _data = data;
    private readonly int _length = length;
    private readonly int _hash = hash;

    public bool Equals(StateKey other) =>
        _hash == other._hash && _data.AsSpan(0, _length).SequenceEqual(other._data.AsSpan(0, other._length));

    public override bool Equals(object? obj) => obj is StateKey k && Equals(k);

    public override int GetHashCode() => _hash;
}
