using System.Text;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Builds the byte-level grammar IR: rules of alternatives of element sequences, where an element is a byte set
/// (≥ 0, its index) or a rule reference (−(rule + 2)). Repetition and code-point classes are lowered here into
/// helper rules (right recursion and UTF-8 byte-range alternatives), so the matcher knows only bytes and calls.
/// </summary>
internal sealed class GrammarBuilder
{
    /// <summary>Largest repetition bound written out ({m,n} expands to about n helper rules).</summary>
    public const int MaxRepetition = 10_000;

    /// <summary>Most rules a grammar may expand to, so a hostile grammar cannot exhaust memory.</summary>
    public const int MaxRules = 200_000;

    private readonly List<string> _names = [];
    private readonly List<List<int[]>?> _rules = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly List<ByteSet> _sets = [];
    private readonly Dictionary<ByteSet, int> _setIds = [];
    private readonly Dictionary<string, int> _classRules = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Element, int Min, int Max), int> _repeats = [];

    public static int Ref(int rule) => -(rule + 2);

    /// <summary>The id of the named rule, creating an undefined one on first use (forward references).</summary>
    public int RuleId(string name)
    {
        if (!_byName.TryGetValue(name, out int id))
        {
            id = AddRule(name);
            _byName[name] = id;
        }

        return id;
    }

    public bool IsDefined(int rule) => _rules[rule] is not null;

    public string NameOf(int rule) => _names[rule];

    public void Define(int rule, List<int[]> alternatives)
    {
        if (_rules[rule] is not null)
        {
            throw new GrammarException($"rule '{_names[rule]}' is defined twice");
        }

        _rules[rule] = alternatives;
    }

    /// <summary>A new anonymous rule (groups, repetitions, classes) named after its parent for messages.</summary>
    public int Helper(string baseName, List<int[]> alternatives)
    {
        int id = AddRule(baseName + "_" + _rules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _rules[id] = alternatives;
        return id;
    }

    public int Set(ByteSet s)
    {
        if (!_setIds.TryGetValue(s, out int id))
        {
            id = _sets.Count;
            _sets.Add(s);
            _setIds[s] = id;
        }

        return id;
    }

    public void AppendLiteral(List<int> seq, string text)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            seq.Add(Set(ByteSet.Single(b)));
        }
    }

    /// <summary>
    /// The element matching one code point of the class (ranges inclusive, possibly unsorted/overlapping):
    /// a single byte set when the class is ASCII, else a helper rule over the UTF-8 byte-range sequences.
    /// </summary>
    public int CharClass(List<(int Lo, int Hi)> ranges, bool negated, string baseName)
    {
        var merged = Normalize(ranges);
        if (negated)
        {
            var comp = new List<(int, int)>();
            int next = 0;
            foreach (var (lo, hi) in merged)
            {
                if (lo > next)
                {
                    comp.Add((next, lo - 1));
                }

                next = hi + 1;
            }

            if (next <= 0x10FFFF)
            {
                comp.Add((next, 0x10FFFF));
            }

            merged = comp;
        }

        if (merged.Count == 0)
        {
            throw new GrammarException($"rule '{baseName}': the character class matches nothing");
        }

        if (merged[^1].Hi <= 0x7F)
        {
            var s = default(ByteSet);
            foreach (var (lo, hi) in merged)
            {
                s = s.Union(ByteSet.Range(lo, hi));
            }

            return Set(s);
        }

        string key = string.Join(",", merged);
        if (_classRules.TryGetValue(key, out int cached))
        {
            return Ref(cached);
        }

        var seqs = new List<(byte Lo, byte Hi)[]>();
        foreach (var (lo, hi) in merged)
        {
            Utf8Ranges.Split(lo, hi, seqs);
        }

        // All one-byte sequences share one set (one alternative instead of one per ASCII range).
        var ascii = default(ByteSet);
        var alts = new List<int[]>();
        foreach (var seq in seqs)
        {
            if (seq.Length == 1)
            {
                ascii = ascii.Union(ByteSet.Range(seq[0].Lo, seq[0].Hi));
                continue;
            }

            var elems = new int[seq.Length];
            for (int i = 0; i < seq.Length; i++)
            {
                elems[i] = Set(ByteSet.Range(seq[i].Lo, seq[i].Hi));
            }

            alts.Add(elems);
        }

        if (!ascii.IsEmpty)
        {
            alts.Insert(0, [Set(ascii)]);
        }

        int rule = Helper(baseName + "_char", alts);
        _classRules[key] = rule;
        return Ref(rule);
    }

    /// <summary>Appends <paramref name="element"/> repeated min..max times (max −1: unbounded) to the sequence.</summary>
    public void AppendRepeat(List<int> seq, int element, int min, int max, string baseName)
    {
        if (min < 0 || (max >= 0 && max < min))
        {
            throw new GrammarException($"rule '{baseName}': invalid repetition {{{min},{max}}}");
        }

        if (min > MaxRepetition || max > MaxRepetition)
        {
            throw new GrammarException($"rule '{baseName}': repetition bound above {MaxRepetition} is not supported");
        }

        for (int i = 0; i < min; i++)
        {
            seq.Add(element);
        }

        if (max == min)
        {
            return;
        }

        seq.Add(Ref(Optional(element, max < 0 ? -1 : max - min, baseName)));
    }

    /// <summary>A rule matching up to <paramref name="count"/> copies (−1: any number), shared by equal requests.
    /// Right recursion only: the matcher's tail calls keep its stacks flat.</summary>
    private int Optional(int element, int count, string baseName)
    {
        if (_repeats.TryGetValue((element, 0, count), out int id))
        {
            return id;
        }

        if (count < 0)
        {
            id = AddRule(baseName + "_star_" + _rules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _rules[id] = [[element, Ref(id)], []];
        }
        else
        {
            int previous = -1;
            for (int k = 1; k <= count; k++)
            {
                if (_repeats.TryGetValue((element, 0, k), out int existing))
                {
                    previous = existing;
                    continue;
                }

                int[] body = previous < 0 ? [element] : [element, Ref(previous)];
                previous = Helper(baseName + "_rep", [body, []]);
                _repeats[(element, 0, k)] = previous;
            }

            id = previous;
        }

        _repeats[(element, 0, count)] = id;
        return id;
    }

    public Grammar Build(string rootName, string source)
    {
        if (!_byName.TryGetValue(rootName, out int root) || _rules[root] is null)
        {
            throw new GrammarException($"the grammar has no '{rootName}' rule (the start rule)");
        }

        for (int r = 0; r < _rules.Count; r++)
        {
            if (_rules[r] is null)
            {
                throw new GrammarException($"rule '{_names[r]}' is referenced but never defined");
            }
        }

        var code = new List<int>();
        var altStarts = new List<int>();
        var ruleAlt = new int[_rules.Count + 1];
        for (int r = 0; r < _rules.Count; r++)
        {
            ruleAlt[r] = altStarts.Count;
            foreach (var alt in _rules[r]!)
            {
                altStarts.Add(code.Count);
                code.AddRange(alt);
                code.Add(Grammar.End);
            }
        }

        ruleAlt[_rules.Count] = altStarts.Count;
        var sets = new ulong[_sets.Count * 4];
        for (int i = 0; i < _sets.Count; i++)
        {
            sets[(i * 4) + 0] = _sets[i].W0;
            sets[(i * 4) + 1] = _sets[i].W1;
            sets[(i * 4) + 2] = _sets[i].W2;
            sets[(i * 4) + 3] = _sets[i].W3;
        }

        var g = new Grammar(source, [.. code], [.. altStarts], ruleAlt, sets, root, [.. _names]);
        g.CheckLeftRecursion();
        // The start state must fit the matcher's bounds: found here (a 400 at the gateway), not at the first token.
        _ = new GrammarMatcher(g, TokenVocabulary.Empty);
        return g;
    }

    private int AddRule(string name)
    {
        if (_rules.Count >= MaxRules)
        {
            throw new GrammarException($"the grammar expands to more than {MaxRules} rules");
        }

        _names.Add(name);
        _rules.Add(null);
        return _rules.Count - 1;
    }

    private static List<(int Lo, int Hi)> Normalize(List<(int Lo, int Hi)> ranges)
    {
        var sorted = new List<(int Lo, int Hi)>(ranges);
        sorted.Sort();
        var merged = new List<(int Lo, int Hi)>();
        foreach (var (lo, hi) in sorted)
        {
            if (merged.Count > 0 && lo <= merged[^1].Hi + 1)
            {
                merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, hi));
            }
            else
            {
                merged.Add((lo, hi));
            }
        }

        return merged;
    }
}
