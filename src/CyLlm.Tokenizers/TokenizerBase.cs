using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CyLlm.Tokenizers;

/// <summary>
/// What both tokenizer algorithms share: the vocabulary (text → id, last id wins for duplicate texts, as
/// llama.cpp's token_to_id), token types with llama.cpp's load-time adjustments, special-token splitting,
/// BOS/EOS handling and decoding. Subclasses encode runs of ordinary text and spell pieces as bytes.
/// </summary>
public abstract partial class TokenizerBase : ITokenizer
{
    private readonly string[] _texts;          // [vocab] token text; empty texts become "[EMPTY_i]" as in llama.cpp
    private readonly TokenType[] _types;       // [vocab]
    private readonly byte[][] _pieces;         // [vocab] bytes when rendered (control text included)
    private readonly bool[] _hidden;           // [vocab] true: no bytes unless special text is rendered
    private readonly bool[] _endOfGeneration;  // [vocab]
    private readonly Dictionary<string, int> _ids;
    private readonly SpecialTokenMatcher _specials;
    private readonly bool[] _rstrip;   // [vocab] special tokens that swallow the whitespace after them (TokenizerData.RStripIds)

    protected TokenizerBase(TokenizerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        int n = data.Tokens?.Count ?? 0;
        if (n == 0)
        {
            throw new ArgumentException("the tokenizer vocabulary is empty", nameof(data));
        }

        if (data.TokenTypes is { } tt && tt.Count != n)
        {
            throw new ArgumentException($"the tokenizer has {n} tokens but {tt.Count} token types", nameof(data));
        }

        if (data.Scores is { } sc && sc.Count != n)
        {
            throw new ArgumentException($"the tokenizer has {n} tokens but {sc.Count} scores", nameof(data));
        }

        CheckId(data.BosId, n, "BOS");
        CheckId(data.EosId, n, "EOS");
        CheckId(data.UnkId, n, "UNK");

        _texts = new string[n];
        _types = new TokenType[n];
        _ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string text = data.Tokens![i] ?? "";
            _texts[i] = text.Length == 0 ? $"[EMPTY_{i}]" : text;
            int type = data.TokenTypes is { } t ? t[i] : (int)DefaultType(data, i, _texts[i]);
            _types[i] = type is >= 1 and <= 6 ? (TokenType)type : TokenType.Undefined;
            _ids[_texts[i]] = i; // last wins, as llama.cpp's token_to_id map
        }

        IdLookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

        // llama.cpp's load-time overrides: end-of-generation texts become control tokens, harmony markers
        // become user-defined ones. Only the id a text maps to is changed, as llama.cpp walks token_to_id.
        var eog = new SortedSet<int>();
        foreach (var (text, id) in _ids)
        {
            if (LlamaCppConventions.EndOfGenerationTexts.Contains(text))
            {
                eog.Add(id);
                _types[id] = TokenType.Control;
            }
            else if (LlamaCppConventions.ForcedUserDefinedTexts.Contains(text))
            {
                _types[id] = TokenType.UserDefined;
            }
        }

        if (data.EosId >= 0)
        {
            eog.Add(data.EosId);
        }

        foreach (int id in data.EotIds ?? [])
        {
            if ((uint)id < (uint)n)
            {
                eog.Add(id);
            }
        }

        // llama.cpp's o200k_harmony (gpt-oss) workaround: where <|return|> and <|call|> (or <|calls|> and <|flush|>)
        // end a generation, <|end|> only closes one message of it (the analysis channel, before the final one), so it
        // leaves the end-of-generation set and becomes a user-defined token.
        bool Eog(string text) => _ids.TryGetValue(text, out int id) && eog.Contains(id);
        bool call = Eog("<|call|>") || Eog("<|calls|>");
        if (call && (Eog("<|return|>") || Eog("<|flush|>")) && Eog("<|end|>"))
        {
            int end = _ids["<|end|>"];
            eog.Remove(end);
            _types[end] = TokenType.UserDefined;
        }

        _endOfGeneration = new bool[n];
        foreach (int id in eog)
        {
            _endOfGeneration[id] = true;
        }

        EndOfGenerationIds = eog.ToArray();

        var candidates = new List<(int, string, bool)>();
        for (int i = 0; i < n; i++)
        {
            if (_types[i] is TokenType.Control or TokenType.Unknown or TokenType.UserDefined)
            {
                candidates.Add((i, _texts[i], _types[i] == TokenType.UserDefined));
            }
        }

        _specials = new SpecialTokenMatcher(candidates);
        _rstrip = new bool[n];
        foreach (int id in data.RStripIds ?? [])
        {
            if ((uint)id < (uint)n)
            {
                _rstrip[id] = true;
            }
        }

        _pieces = new byte[n][];
        _hidden = new bool[n];
    }

    /// <summary>Fills the piece bytes; called by the subclass constructor once its own tables are ready.</summary>
    protected void BuildPieces()
    {
        for (int i = 0; i < _texts.Length; i++)
        {
            _hidden[i] = _types[i] is TokenType.Control or TokenType.Unknown;
            _pieces[i] = _types[i] switch
            {
                TokenType.Control or TokenType.Unknown or TokenType.UserDefined => System.Text.Encoding.UTF8.GetBytes(_texts[i]),
                TokenType.Normal => NormalPieceBytes(_texts[i]),
                TokenType.Byte => TryParseByteToken(_texts[i], out byte b) ? [b] : NormalPieceBytes(_texts[i]),
                _ => [], // unused and undefined tokens print nothing, even as special text (llama.cpp)
            };
        }
    }

    private static void CheckId(int id, int n, string what)
    {
        if (id < -1 || id >= n)
        {
            throw new ArgumentException($"the {what} token id {id} is outside the vocabulary (0..{n - 1})");
        }
    }

    /// <summary>Type of a token when the model gives no types: BOS/EOS are control, UNK unknown, byte-fallback
    /// pieces bytes, and for byte-level BPE every "&lt;|...|&gt;" token is control (added special tokens).</summary>
    private static TokenType DefaultType(TokenizerData data, int id, string text)
    {
        if (id == data.BosId || id == data.EosId)
        {
            return TokenType.Control;
        }

        if (id == data.UnkId)
        {
            return TokenType.Unknown;
        }

        if (data.Kind == TokenizerKind.SentencePiece && TryParseByteToken(text, out _))
        {
            return TokenType.Byte;
        }

        bool looksSpecial = text.Length > 4 && text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal);
        return data.Kind == TokenizerKind.ByteLevelBpe && looksSpecial ? TokenType.Control : TokenType.Normal;
    }

    protected TokenizerData Data { get; }

    /// <summary>Vocabulary lookup by a span of text, without allocating.</summary>
    protected Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> IdLookup { get; }

    public abstract TokenizerKind Kind { get; }

    public int VocabSize => _texts.Length;

    public int BosId => Data.BosId;

    public int EosId => Data.EosId;

    public IReadOnlyList<int> EndOfGenerationIds { get; }

    public bool AddBosByDefault => Data.AddBos && Data.BosId >= 0;

    public abstract bool AddsSpacePrefix { get; }

    /// <summary>Bytes of a normal piece as the algorithm spells it (U+2581 spaces, GPT-2 byte alphabet).</summary>
    protected abstract byte[] NormalPieceBytes(string text);

    /// <summary>Encodes one run of ordinary text (no special token inside). <paramref name="afterSpecial"/>:
    /// the run starts the text or follows a special token (SentencePiece then adds its space prefix).</summary>
    protected abstract void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output);

    public int[] Encode(string text, bool addBos, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        Encode(text.AsSpan(), output, addBos, parseSpecial);
        return output.ToArray();
    }

    public void Encode(ReadOnlySpan<char> text, List<int> output, bool addBos, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (addBos && Data.BosId >= 0)
        {
            output.Add(Data.BosId);
        }

        if (!text.IsEmpty)
        {
            var fragments = new List<Fragment>();
            if (!_specials.Partition(text, parseSpecial, fragments))
            {
                EncodeText(text, afterSpecial: true, output);
            }
            else
            {
                // llama.cpp: the first run and every run right after a special token count as "after special".
                bool afterSpecial = true, strip = false;
                foreach (var f in CollectionsMarshal.AsSpan(fragments))
                {
                    if (f.TokenId >= 0)
                    {
                        output.Add(f.TokenId);
                        afterSpecial = true;
                        strip = _rstrip[f.TokenId];
                    }
                    else
                    {
                        Debug.Assert(f.Length > 0, "raw fragments are never empty");
                        var run = text.Slice(f.Start, f.Length);
                        if (strip)
                        {
                            // llama.cpp's tokenizer_st_partition with RSTRIP: the right remainder loses its leading
                            // isspace() characters, and is dropped when nothing is left.
                            run = run.TrimStart(" \t\n\v\f\r");
                        }

                        if (!run.IsEmpty)
                        {
                            EncodeText(run, afterSpecial, output);
                        }

                        afterSpecial = false;
                        strip = false;
                    }
                }
            }
        }

        if (addBos && Data.AddEos && Data.EosId >= 0)
        {
            output.Add(Data.EosId);
        }
    }

    public string GetTokenText(int id) => _texts[CheckedId(id)];

    public TokenType GetTokenType(int id) => _types[CheckedId(id)];

    public bool IsControl(int id) => (uint)id < (uint)_types.Length && _types[id] == TokenType.Control;

    public bool IsEndOfGeneration(int id) => (uint)id < (uint)_endOfGeneration.Length && _endOfGeneration[id];

    public int FindToken(string tokenText)
    {
        ArgumentNullException.ThrowIfNull(tokenText);
        return _ids.TryGetValue(tokenText, out int id) ? id : -1;
    }

    private protected int CheckedId(int id)
    {
        if ((uint)id >= (uint)_texts.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is outside the vocabulary (0..{_texts.Length - 1})");
        }

        return id;
    }

    /// <summary>Parses a byte-fallback piece "&lt;0xAB&gt;".</summary>
    protected static bool TryParseByteToken(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
