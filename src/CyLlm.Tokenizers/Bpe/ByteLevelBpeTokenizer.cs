using System.Text;

namespace CyLlm.Tokenizers.Bpe;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2) as llama.cpp's llm_tokenizer_bpe: pre-tokenize with the
/// model's regex, map each word's UTF-8 bytes into the GPT-2 alphabet, then apply merges lowest rank first.
/// Words are cached, since natural text repeats them.
/// </summary>
public sealed class ByteLevelBpeTokenizer : TokenizerBase
{
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly PreTokenizer _pre;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    public ByteLevelBpeTokenizer(TokenizerData data)
        : base(data)
    {
        _ids = new Dictionary<string, int>(data.Tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < data.Tokens.Count; i++)
        {
            _ids.TryAdd(data.Tokens[i], i);
        }

        _ranks = new Dictionary<(string, string), int>();
        var merges = data.Merges ?? [];
        for (int r = 0; r < merges.Count; r++)
        {
            int sp = merges[r].IndexOf(' ', 1);
            if (sp > 0)
            {
                _ranks.TryAdd((merges[r][..sp], merges[r][(sp + 1)..]), r);
            }
        }

        _pre = new PreTokenizer(data.PreTokenizer);
    }

    protected override int Lookup(string piece) => _ids.TryGetValue(piece, out int id) ? id : -1;

    protected override byte[] PieceToBytes(int id, string piece, int type)
    {
        if (type is 3 or 4)
        {
            return Encoding.UTF8.GetBytes(piece);
        }

        var bytes = new byte[piece.Length];
        for (int i = 0; i < piece.Length; i++)
        {
            if (!ByteLevelAlphabet.TryToByte(piece[i], out bytes[i]))
            {
                return Encoding.UTF8.GetBytes(piece);
            }
        }

        return bytes;
    }

    protected override void EncodeText(string text, bool atStart, List<int> output)
    {
        foreach (var word in _pre.Split(text))
        {
            int[]? ids;
            lock (_cacheLock)
            {
                _cache.TryGetValue(word, out ids);
            }

            if (ids is null)
            {
                ids = EncodeWord(word);
                lock (_cacheLock)
                {
                    if (_cache.Count < 100_000)
                    {
                        _cache[word] = ids;
                    }
                }
            }

            output.AddRange(ids);
        }
    }

    private int[] EncodeWord(string word)
    {
        var utf8 = Encoding.UTF8.GetBytes(word);
        var parts = new List<string>(utf8.Length);
        foreach (byte b in utf8)
        {
            parts.Add(ByteLevelAlphabet.ToChar(b).ToString());
        }

        while (parts.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < parts.Count; i++)
            {
                if (_ranks.TryGetValue((parts[i], parts[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }

        var ids = new List<int>(parts.Count);
        foreach (var p in parts)
        {
            if (_ids.TryGetValue(p, out int id))
            {
                ids.Add(id);
            }
            else
            {
                // A piece outside the vocabulary: fall back to its single characters (bytes).
                foreach (char c in p)
                {
                    if (_ids.TryGetValue(c.ToString(), out int cid))
                    {
                        ids.Add(cid);
                    }
                    else if (Data.UnkId >= 0)
                    {
                        ids.Add(Data.UnkId);
                    }
                }
            }
        }

        return ids.ToArray();
    }
}
