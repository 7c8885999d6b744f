using System.Diagnostics;

namespace CyLlm.Tokenizers;

/// <summary>
/// Binary min-heap of merge candidates keyed by one long, so both BPE flavours pop "best pair, leftmost on
/// ties" with a single integer comparison. One instance per thread is reused (see <see cref="Rent"/>).
/// </summary>
internal sealed class MergeQueue
{
    [ThreadStatic]
    private static MergeQueue? t_cached;

    private MergeCandidate[] _heap = new MergeCandidate[64];
    private int _count;

    /// <summary>An empty queue for this thread (the same instance each time; do not hold it across calls).</summary>
    public static MergeQueue Rent()
    {
        var q = t_cached ??= new MergeQueue();
        q._count = 0;
        if (q._heap.Length > 1 << 16)
        {
            q._heap = new MergeCandidate[64]; // do not keep a huge array alive after one huge input
        }

        return q;
    }

    public void Push(in MergeCandidate c)
    {
        if (_count == _heap.Length)
        {
            Array.Resize(ref _heap, _count * 2);
        }

        int i = _count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (_heap[parent].Key <= c.Key)
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = c;
    }

    public bool TryPop(out MergeCandidate top)
    {
        if (_count == 0)
        {
            top = default;
            return false;
        }

        top = _heap[0];
        var last = _heap[--_count];
        int i = 0;
        int n = _count;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && _heap[child + 1].Key < _heap[child].Key)
            {
                child++;
            }

            if (last.Key <= _heap[child].Key)
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        if (n > 0)
        {
            _heap[i] = last;
        }

        Debug.Assert(_count >= 0, "the heap count never goes negative");
        return true;
    }

    /// <summary>Key for "lowest rank first, then leftmost" (byte-level BPE).</summary>
    public static long RankKey(int rank, int left) => ((long)rank << 32) | (uint)left;

    /// <summary>Key for "highest score first, then leftmost" (SentencePiece): the float's bits mapped to an
    /// order-preserving signed integer, complemented so that larger scores come first.</summary>
    public static long ScoreKey(float score, int left)
    {
        int bits = BitConverter.SingleToInt32Bits(score == 0f ? 0f : score); // −0 ties with +0, as in C++
        bits ^= (bits >> 31) & 0x7FFFFFFF; // negative floats: reverse their magnitude order
        return ((long)~bits << 32) | (uint)left;
    }
}
