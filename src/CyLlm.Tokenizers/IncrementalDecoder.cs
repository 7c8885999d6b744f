using System.Text;

namespace CyLlm.Tokenizers;

/// <summary>
/// Turns a stream of token ids into text deltas without ever splitting a UTF-8 character: bytes of an
/// incomplete character are held until it completes; bytes that can no longer complete become U+FFFD (the
/// same U+FFFDs as decoding all bytes at once). The concatenation of every <see cref="Push"/> and the final
/// <see cref="Flush"/> equals <see cref="ITokenizer.Decode"/> of the ids. One instance per stream; not
/// thread-safe.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly ITokenizer _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly bool _renderSpecial;
    private bool _stripLeadingSpace;
    private char[] _chars = new char[64];

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="stripLeadingSpace">Drop the leading space of the first piece that has any bytes: the space
    /// prefix SentencePiece adds to text after BOS, which llama2.c and llama.cpp do not print. Applies only to
    /// tokenizers that add a space prefix (<see cref="ITokenizer.AddsSpacePrefix"/>); byte-level BPE spaces are
    /// real text and stay.</param>
    /// <param name="renderSpecial">Print the text of control tokens (e.g. &lt;|im_end|&gt;) instead of nothing.</param>
    public IncrementalDecoder(ITokenizer tokenizer, bool stripLeadingSpace = false, bool renderSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _stripLeadingSpace = stripLeadingSpace && tokenizer.AddsSpacePrefix;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one token; returns the text completed by it (often empty inside a multi-byte character).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string Push(int tokenId)
    {
        var bytes = _tokenizer.PieceBytes(tokenId, _renderSpecial);
        if (_stripLeadingSpace && !bytes.IsEmpty)
        {
            _stripLeadingSpace = false;
            if (bytes[0] == (byte)' ')
            {
                bytes = bytes[1..];
            }
        }

        return Decode(bytes, flush: false);
    }

    /// <summary>Ends the stream: bytes still held (an incomplete character) come out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int count = _utf8.GetCharCount(bytes, flush);
        if (count > _chars.Length)
        {
            _chars = new char[Math.Max(count, _chars.Length * 2)];
        }

        int written = _utf8.GetChars(bytes, _chars, flush);
        return written == 0 ? "" : new string(_chars, 0, written);
    }
}
