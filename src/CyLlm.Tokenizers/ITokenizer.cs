namespace CyLlm.Tokenizers;

/// <summary>
/// Text ↔ token ids for one model's vocabulary, with llama.cpp's results as the reference. Instances are
/// immutable after construction and safe to use from several threads at once.
/// </summary>
public interface ITokenizer
{
    TokenizerKind Kind { get; }

    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id; −1 when the vocabulary has none.</summary>
    int BosId { get; }

    /// <summary>End-of-sequence id; −1 when the vocabulary has none.</summary>
    int EosId { get; }

    /// <summary>Ids that end generation: EOS, end-of-turn ids (e.g. &lt;|eot_id|&gt;, &lt;|im_end|&gt;) and the
    /// tokens llama.cpp recognises as end-of-generation by their text. Sorted, no duplicates.</summary>
    IReadOnlyList<int> EndOfGenerationIds { get; }

    /// <summary>Whether a prompt gets BOS unless told otherwise (model metadata, as llama.cpp's add_bos).</summary>
    bool AddBosByDefault { get; }

    /// <summary>True when encoding prepends a space to the text (SentencePiece with add_space_prefix); the
    /// decoder then drops it from the first piece after BOS (see <see cref="IncrementalDecoder"/>).</summary>
    bool AddsSpacePrefix { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>. With <paramref name="addBos"/> the model's BOS comes first (and EOS last
    /// when the model asks for it, as llama.cpp's add_special). With <paramref name="parseSpecial"/>, the text of
    /// control tokens (e.g. <c>&lt;|eot_id|&gt;</c>, <c>&lt;s&gt;</c>) is matched whole instead of being spelled
    /// out; user-defined tokens are always matched whole (llama.cpp's parse_special).
    /// </summary>
    int[] Encode(string text, bool addBos, bool parseSpecial);

    /// <summary>As <see cref="Encode(string, bool, bool)"/>, appending the ids to <paramref name="output"/>.</summary>
    void Encode(ReadOnlySpan<char> text, List<int> output, bool addBos, bool parseSpecial);

    /// <summary>
    /// The raw bytes a token stands for: byte-fallback &lt;0xAB&gt; gives that byte, SentencePiece U+2581 gives a
    /// space, byte-level BPE pieces give their bytes. Control and unknown tokens give nothing unless
    /// <paramref name="renderSpecial"/>, then their text; unused tokens always give nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside 0..VocabSize−1.</exception>
    ReadOnlySpan<byte> PieceBytes(int id, bool renderSpecial = false);

    /// <summary><see cref="PieceBytes"/> as text (an incomplete UTF-8 character becomes U+FFFD; use
    /// <see cref="IncrementalDecoder"/> for streams).</summary>
    string DecodePiece(int id, bool renderSpecial = false);

    /// <summary>Decodes ids to text: the pieces' bytes concatenated, invalid UTF-8 as U+FFFD. With
    /// <paramref name="skipSpecial"/> control and unknown tokens give nothing, otherwise their text.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 0..VocabSize−1.</exception>
    string Decode(IEnumerable<int> ids, bool skipSpecial = true);

    /// <summary>The token's text as the vocabulary spells it (U+2581 spaces, byte-level alphabet, &lt;0x0A&gt;).</summary>
    string GetTokenText(int id);

    TokenType GetTokenType(int id);

    /// <summary>True for control tokens (BOS, EOS, chat markers), which print nothing by default.</summary>
    bool IsControl(int id);

    bool IsEndOfGeneration(int id);

    /// <summary>The id whose vocabulary text is exactly <paramref name="tokenText"/> (the last one if several); −1 if none.</summary>
    int FindToken(string tokenText);
}
