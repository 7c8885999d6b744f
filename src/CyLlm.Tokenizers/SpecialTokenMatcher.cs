using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace CyLlm.Tokenizers;

/// <summary>
/// Splits text around special-token text exactly as llama.cpp's tokenizer_st_partition: special tokens are
/// tried one at a time, longest text (in UTF-8 bytes) first, and each claims its leftmost non-overlapping
/// occurrences inside the text not yet claimed. Control and unknown tokens take part only when special text
/// is parsed; user-defined tokens always do. Occurrences are found in one pass over the text with a trie, so
/// the cost is about linear in the text, not text × number of special tokens.
/// </summary>
internal sealed class SpecialTokenMatcher
{
    private struct Node
    {
        public Dictionary<char, int>? Children;
        public int Terminal; // priority index of the special token ending here, −1 if none
    }

    // Per priority index (0 = tried first): text, id, and whether it is matched without parse_special.
    private readonly string[] _texts;
    private readonly int[] _ids;
    private readonly bool[] _always;
    private readonly List<Node> _nodes = [];
    private readonly SearchValues<char> _firstChars;

    /// <param name="candidates">(id, text, alwaysMatched) of every control, unknown and user-defined token.</param>
    public SpecialTokenMatcher(List<(int Id, string Text, bool Always)> candidates)
    {
        // llama.cpp sorts by byte length only (std::sort); ties go by id here so the order is deterministic.
        var ordered = candidates.Where(c => c.Text.Length > 0)
            .OrderByDescending(c => Encoding.UTF8.GetByteCount(c.Text)).ThenBy(c => c.Id).ToArray();
        _texts = new string[ordered.Length];
        _ids = new int[ordered.Length];
        _always = new bool[ordered.Length];
        _nodes.Add(new Node { Terminal = -1 });
        var first = new HashSet<char>();
        for (int p = 0; p < ordered.Length; p++)
        {
            _texts[p] = ordered[p].Text;
            _ids[p] = ordered[p].Id;
            _always[p] = ordered[p].Always;
            first.Add(ordered[p].Text[0]);
            Insert(p);
        }

        _firstChars = SearchValues.Create(first.ToArray());
        AnyAlways = _always.Contains(true);
        Count = ordered.Length;
    }

    public int Count { get; }

    /// <summary>Whether some token is matched even without parse_special (user-defined tokens exist).</summary>
    public bool AnyAlways { get; }

    private void Insert(int priority)
    {
        int node = 0;
        foreach (char c in _texts[priority])
        {
            var children = _nodes[node].Children;
            if (children is null)
            {
                children = [];
                _nodes[node] = _nodes[node] with { Children = children };
            }

            if (!children.TryGetValue(c, out int next))
            {
                next = _nodes.Count;
                _nodes.Add(new Node { Terminal = -1 });
                children[c] = next;
            }

            node = next;
        }

        if (_nodes[node].Terminal < 0)
        {
            // Two tokens with the same text: the first in priority order claims every occurrence, as in llama.cpp.
            _nodes[node] = _nodes[node] with { Terminal = priority };
        }
    }

    /// <summary>Appends the fragments of <paramref name="text"/> in order; returns false (and appends nothing)
    /// when no special token occurs, so that the caller encodes the text as one run.</summary>
    public bool Partition(ReadOnlySpan<char> text, bool parseSpecial, List<Fragment> fragments)
    {
        if (Count == 0 || (!parseSpecial && !AnyAlways))
        {
            return false;
        }

        // Every occurrence of every eligible special token, as (priority, position).
        List<(int Priority, int Pos)>? matches = null;
        for (int i = 0; i < text.Length; i++)
        {
            int skip = text[i..].IndexOfAny(_firstChars);
            if (skip < 0)
            {
                break;
            }

            i += skip;
            int node = 0;
            for (int j = i; j < text.Length; j++)
            {
                var children = _nodes[node].Children;
                if (children is null || !children.TryGetValue(text[j], out node))
                {
                    break;
                }

                int t = _nodes[node].Terminal;
                if (t >= 0 && (parseSpecial || _always[t]))
                {
                    (matches ??= []).Add((t, i));
                }
            }
        }

        if (matches is null)
        {
            return false;
        }

        // Claim in priority order, each token's occurrences left to right; an occurrence that overlaps text
        // already claimed is not inside one raw fragment any more, so llama.cpp would not find it either.
        matches.Sort();
        bool[] claimed = ArrayPool<bool>.Shared.Rent(text.Length);
        var accepted = new List<(int Pos, int Priority)>();
        try
        {
            Array.Clear(claimed, 0, text.Length);
            foreach (var (priority, pos) in matches)
            {
                int len = _texts[priority].Length;
                if (Array.IndexOf(claimed, true, pos, len) >= 0)
                {
                    continue;
                }

                Array.Fill(claimed, true, pos, len);
                accepted.Add((pos, priority));
            }
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(claimed);
        }

        accepted.Sort();
        int at = 0;
        foreach (var (pos, priority) in accepted)
        {
            Debug.Assert(pos >= at, "accepted occurrences do not overlap");
            if (pos > at)
            {
                fragments.Add(new Fragment(at, pos - at, -1));
            }

            fragments.Add(new Fragment(pos, _texts[priority].Length, _ids[priority]));
            at = pos + _texts[priority].Length;
        }

        if (at < text.Length)
        {
            fragments.Add(new Fragment(at, text.Length - at, -1));
        }

        return true;
    }
}
