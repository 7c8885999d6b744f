using CyLlm.Tokenizers;

namespace CyLlm.Tokenizers.Tests;

/// <summary>Small hand-made vocabularies for the unit tests.</summary>
internal static class TestVocab
{
    public static string TestData(string relative) => Path.Combine(AppContext.BaseDirectory, "TestData", relative);

    /// <summary>
    /// A SentencePiece vocabulary: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, the 256 byte tokens (ids 3..258), then the
    /// given pieces (spaces written as U+2581) with their scores, then user-defined extras.
    /// </summary>
    public static TokenizerData SentencePiece(
        (string Piece, float Score)[] pieces,
        bool byteFallback = true,
        bool addSpacePrefix = true,
        (string Text, int Type)[]? extras = null)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var scores = new List<float> { 0, 0, 0 };
        var types = new List<int> { 2, 3, 3 };
        if (byteFallback)
        {
            for (int b = 0; b < 256; b++)
            {
                tokens.Add($"<0x{b:X2}>");
                scores.Add(0);
                types.Add(6);
            }
        }

        foreach (var (piece, score) in pieces)
        {
            tokens.Add(piece);
            scores.Add(score);
            types.Add(1);
        }

        foreach (var (text, type) in extras ?? [])
        {
            tokens.Add(text);
            scores.Add(0);
            types.Add(type);
        }

        return new TokenizerData
        {
            Kind = TokenizerKind.SentencePiece,
            Tokens = tokens,
            Scores = scores,
            TokenTypes = types,
            BosId = 1,
            EosId = 2,
            UnkId = 0,
            AddSpacePrefix = addSpacePrefix,
        };
    }

    /// <summary>Byte fallback id of a byte in <see cref="SentencePiece"/> vocabularies.</summary>
    public static int ByteId(byte b) => 3 + b;

    /// <summary>
    /// A byte-level BPE vocabulary: the 256 alphabet characters (id = byte value), then the merge results in
    /// merge order, then the extras. Merges are written with the alphabet already applied (e.g. "Ġ t").
    /// </summary>
    public static TokenizerData ByteLevel(string[] merges, string? pre = "gpt-2", (string Text, int Type)[]? extras = null, string[]? omit = null)
    {
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++)
        {
            tokens.Add(Bpe.ByteLevelAlphabet.ToChar((byte)b).ToString());
        }

        foreach (var m in merges)
        {
            string joined = m.Replace(" ", "", StringComparison.Ordinal);
            if (!tokens.Contains(joined) && !(omit ?? []).Contains(joined))
            {
                tokens.Add(joined);
            }
        }

        var types = Enumerable.Repeat(1, tokens.Count).ToList();
        foreach (var (text, type) in extras ?? [])
        {
            tokens.Add(text);
            types.Add(type);
        }

        return new TokenizerData
        {
            Kind = TokenizerKind.ByteLevelBpe,
            Tokens = tokens,
            TokenTypes = types,
            Merges = merges,
            PreTokenizer = pre,
            AddBos = false,
            AddSpacePrefix = false,
        };
    }
}
