using System.Text;

namespace CyLlm.Tokenizers;

/// <summary>
/// Turns a stream of token ids into text deltas without ever splitting a UTF-8 character: bytes of an
/// incomplete character are held until it completes; bytes that can no longer complete become U+FFFD.
/// One instance per stream.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly ITokenizer _tokenizer;
    private readonly List<byte> _pending = new(8);
    private bool _stripLeadingSpace;

    /// <param name="stripLeadingSpace">Drop a leading space of the first piece (the space prefix that
    /// SentencePiece adds after BOS), as llama2.c and llama.cpp print it.</param>
    public IncrementalDecoder(ITokenizer tokenizer, bool stripLeadingSpace = false)
    {
        _tokenizer = tokenizer;
        _stripLeadingSpace = stripLeadingSpace;
    }

    public string Push(int tokenId)
    {
        var bytes = _tokenizer.PieceBytes(tokenId);
        int start = 0;
        if (_stripLeadingSpace && bytes.Length > 0)
        {
            _stripLeadingSpace = false;
            if (bytes[0] == (byte)' ')
            {
                start = 1;
            }
        }

        for (int i = start; i < bytes.Length; i++)
        {
            _pending.Add(bytes[i]);
        }

        return Drain(final: false);
    }

    public string Flush() => Drain(final: true);

    private string Drain(bool final)
    {
        if (_pending.Count == 0)
        {
            return "";
        }

        // Emit everything up to the last complete character; keep a trailing incomplete sequence.
        int complete = final ? _pending.Count : CompletePrefixLength(_pending);
        if (complete == 0)
        {
            return "";
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..complete];
        string s = Encoding.UTF8.GetString(span);
        _pending.RemoveRange(0, complete);
        return s;
    }

    /// <summary>Length of the prefix that ends on a character boundary (a trailing sequence that could still
    /// complete is excluded; one that cannot is included and decodes to U+FFFD).</summary>
    internal static int CompletePrefixLength(List<byte> b)
    {
        int n = b.Count;
        // Look back at most 3 bytes for the lead byte of the last sequence.
        for (int back = 1; back <= Math.Min(4, n); back++)
        {
            byte c = b[n - back];
            if ((c & 0xC0) == 0x80)
            {
                continue; // continuation byte
            }

            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            if (need > back && c >= 0xC2)
            {
                return n - back; // incomplete but still valid so far: hold it back
            }

            return n;
        }

        return n; // only continuation bytes: cannot complete
    }
}
