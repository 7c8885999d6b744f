using System.Text;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

/// <summary>Hand-made vocabularies: every single byte as a token (id = byte) plus optional multi-byte tokens,
/// and an end-of-generation token with no bytes at the end.</summary>
internal static class ByteVocab
{
    public static TokenVocabulary Create(params string[] extra)
    {
        var pieces = new List<byte[]>();
        for (int b = 0; b < 256; b++)
        {
            pieces.Add([(byte)b]);
        }

        foreach (string s in extra)
        {
            pieces.Add(Encoding.UTF8.GetBytes(s));
        }

        pieces.Add([]);
        return new TokenVocabulary(pieces, [pieces.Count - 1]);
    }

    public static int Eog(TokenVocabulary v) => v.Count - 1;

    /// <summary>Whether the grammar accepts exactly <paramref name="text"/> (fed byte by byte).</summary>
    public static bool Matches(Grammar g, string text)
    {
        var m = new GrammarMatcher(g, Shared);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (!m.Accept(b))
            {
                return false;
            }
        }

        return m.CanTerminate;
    }

    public static TokenVocabulary Shared { get; } = Create();
}
