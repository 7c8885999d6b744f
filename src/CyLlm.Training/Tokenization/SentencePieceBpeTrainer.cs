using System.Diagnostics;
using System.Text;
using CyLlm.Tokenizers;

namespace CyLlm.Training.Tokenization;

/// <summary>
/// Learns a SentencePiece-style BPE vocabulary from text, laid out like Llama 2's so llama.cpp and CyLlm's
/// SentencePiece tokenizer read it unchanged: id 0 <c>&lt;unk&gt;</c>, 1 <c>&lt;s&gt;</c>, 2 <c>&lt;/s&gt;</c>, 3–258
/// the byte-fallback pieces <c>&lt;0x00&gt;</c>…<c>&lt;0xFF&gt;</c>, then the kept characters, then one piece per merge
/// with score −(merge rank), so the tokenizer's "merge the best-scoring adjacent pair" replays the training order.
/// Spaces become U+2581 and every text gets a leading one (add_space_prefix); pieces never span a word boundary
/// (a U+2581 only starts a piece), as SentencePiece's split_by_whitespace does.
/// </summary>
public static class SentencePieceBpeTrainer
{
    public const char SpaceMark = '\u2581';
    private const int ByteBase = 3;

    /// <summary>Trains on <paramref name="texts"/> until the vocabulary has <paramref name="vocabSize"/> tokens (or no pair occurs twice).</summary>
    /// <param name="characterCoverage">Share of character occurrences covered by character pieces; rarer ones fall back to bytes.</param>
    public static TokenizerData Train(IEnumerable<string> texts, int vocabSize, double characterCoverage = 0.9995, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < ByteBase + 256 + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "the vocabulary needs room for 3 control tokens, 256 bytes and at least one piece");
        }

        // 1. Word frequencies: a word is a maximal run that starts at a U+2581 (or the text start).
        var words = new Dictionary<string, long>(StringComparer.Ordinal);
        var chars = new Dictionary<char, long>();
        var sb = new StringBuilder();
        foreach (string raw in texts)
        {
            string text = SpaceMark + raw.Replace(' ', SpaceMark);
            int start = 0;
            for (int i = 1; i <= text.Length; i++)
            {
                if (i == text.Length || text[i] == SpaceMark)
                {
                    string w = text[start..i];
                    words[w] = words.GetValueOrDefault(w) + 1;
                    start = i;
                }
            }

            foreach (char c in text)
            {
                chars[c] = chars.GetValueOrDefault(c) + 1;
            }
        }

        // 2. Characters by frequency until the coverage is reached (surrogates stay bytes: pieces are whole chars).
        long totalChars = chars.Values.Sum();
        var pieces = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { (int)TokenType.Unknown, (int)TokenType.Control, (int)TokenType.Control };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++)
        {
            pieces.Add($"<0x{b:X2}>");
            types.Add((int)TokenType.Byte);
            scores.Add(0);
        }

        var pieceId = new Dictionary<string, int>(StringComparer.Ordinal);
        long covered = 0;
        foreach (var (c, n) in chars.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key))
        {
            if (pieces.Count >= vocabSize || (double)covered / totalChars >= characterCoverage || char.IsSurrogate(c))
            {
                break;
            }

            covered += n;
            pieceId[c.ToString()] = pieces.Count;
            pieces.Add(c.ToString());
            types.Add((int)TokenType.Normal);
            scores.Add(0);
        }

        // 3. Each word as a list of symbol ids (characters outside the kept set are -1 and never merge).
        var wordList = new List<(int[] Symbols, int Length, long Count)>(words.Count);
        foreach (var (w, n) in words)
        {
            var sym = new int[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                sym[i] = pieceId.TryGetValue(w[i].ToString(), out int id) ? id : -1;
            }

            wordList.Add((sym, sym.Length, n));
        }

        // 4. Merges: each round counts adjacent pairs over the distinct words (weighted by frequency), takes the
        // most frequent (ties: smallest ids, for determinism) and rewrites the words that contain it.
        var pairCounts = new Dictionary<long, long>();
        int rank = 0;
        while (pieces.Count < vocabSize)
        {
            pairCounts.Clear();
            foreach (var (sym, len, n) in wordList)
            {
                for (int i = 0; i + 1 < len; i++)
                {
                    if (sym[i] >= 0 && sym[i + 1] >= 0)
                    {
                        long key = ((long)sym[i] << 32) | (uint)sym[i + 1];
                        pairCounts[key] = pairCounts.GetValueOrDefault(key) + n;
                    }
                }
            }

            long best = -1, bestCount = 1;
            foreach (var (key, n) in pairCounts)
            {
                if (n > bestCount || (n == bestCount && best >= 0 && key < best))
                {
                    best = key;
                    bestCount = n;
                }
            }

            if (best < 0)
            {
                break;
            }

            int left = (int)(best >> 32), right = (int)(best & 0xffffffff);
            string merged = pieces[left] + pieces[right];
            if (pieceId.ContainsKey(merged))
            {
                // Already a piece through another split: reuse its id so the vocabulary stays unique.
                ApplyMerge(wordList, left, right, pieceId[merged]);
                continue;
            }

            int newId = pieces.Count;
            pieceId[merged] = newId;
            pieces.Add(merged);
            types.Add((int)TokenType.Normal);
            scores.Add(-(float)rank);
            rank++;
            ApplyMerge(wordList, left, right, newId);
        }

        Debug.Assert(pieces.Count == types.Count && pieces.Count == scores.Count);
        return new TokenizerData
        {
            Kind = TokenizerKind.SentencePiece,
            Tokens = pieces,
            Scores = scores,
            TokenTypes = types,
            UnkId = 0,
            BosId = 1,
            EosId = 2,
            AddBos = true,
            AddSpacePrefix = true,
            PreTokenizer = "default",
            ChatTemplate = chatTemplate,
        };
    }

    private static void ApplyMerge(List<(int[] Symbols, int Length, long Count)> words, int left, int right, int merged)
    {
        for (int w = 0; w < words.Count; w++)
        {
            var (sym, len, n) = words[w];
            int o = 0;
            bool changed = false;
            for (int i = 0; i < len; i++)
            {
                if (i + 1 < len && sym[i] == left && sym[i + 1] == right)
                {
                    sym[o++] = merged;
                    i++;
                    changed = true;
                }
                else
                {
                    sym[o++] = sym[i];
                }
            }

            if (changed)
            {
                words[w] = (sym, o, n);
            }
        }
    }
}
