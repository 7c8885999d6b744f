namespace CyLlm.Tokenizers;

/// <summary>Per-token type, numbered as GGUF <c>tokenizer.ggml.token_type</c> (and llama.cpp's <c>llama_token_type</c>).</summary>
public enum TokenType
{
    /// <summary>A type number outside the known ones; decodes to nothing, like llama.cpp's UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>Ordinary vocabulary piece.</summary>
    Normal = 1,

    /// <summary>The unknown-token placeholder (&lt;unk&gt;); decodes to nothing unless special text is rendered.</summary>
    Unknown = 2,

    /// <summary>BOS, EOS, chat markers: matched whole only when parsing special text; decode to nothing unless rendered.</summary>
    Control = 3,

    /// <summary>Added tokens that are always matched whole, even without special parsing, and decode to their text.</summary>
    UserDefined = 4,

    /// <summary>Reserved slots; never produced by encoding, decode to nothing.</summary>
    Unused = 5,

    /// <summary>SentencePiece byte-fallback piece &lt;0xAB&gt; standing for one raw byte.</summary>
    Byte = 6,
}
