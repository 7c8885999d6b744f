using System.Text;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

/// <summary>A random constrained walk: at every step a token among those the mask allows, favouring tokens that
/// close something (and EOG when allowed) so walks end. Checks at each step that the mask is non-empty while the
/// grammar is not complete and that only EOG is allowed once it is.</summary>
internal static class GrammarWalk
{
    public static (string Text, bool Ended) Run(Grammar g, TokenVocabulary v, Random rng, int maxSteps = 4000)
    {
        var m = new GrammarMatcher(g, v);
        var mask = new ulong[(v.Count + 63) >> 6];
        var bytes = new List<byte>();
        var allowed = new List<int>();
        var closing = new List<int>();
        for (int step = 0; step < maxSteps; step++)
        {
            bool any = m.FillMask(mask);
            Assert.True(any, $"empty mask while not complete after '{Encoding.UTF8.GetString(bytes.ToArray())}'");
            allowed.Clear();
            closing.Clear();
            bool eogAllowed = false;
            for (int id = 0; id < v.Count; id++)
            {
                if ((mask[id >> 6] & (1UL << (id & 63))) == 0)
                {
                    continue;
                }

                if (v.EndOfGenerationIds.Contains(id))
                {
                    eogAllowed = true;
                    continue;
                }

                allowed.Add(id);
                var piece = v.Piece(id);
                if (piece.IndexOfAny((byte)'"', (byte)'}', (byte)']') >= 0)
                {
                    closing.Add(id);
                }
            }

            if (m.IsComplete)
            {
                Assert.Empty(allowed);
                Assert.True(eogAllowed);
            }

            Assert.Equal(m.CanTerminate, eogAllowed);
            if (eogAllowed && (allowed.Count == 0 || rng.NextDouble() < 0.5))
            {
                Assert.True(m.Accept(v.EndOfGenerationIds[0]));
                return (Encoding.UTF8.GetString(bytes.ToArray()), true);
            }

            var pool = closing.Count > 0 && rng.NextDouble() < 0.6 ? closing : allowed;
            int pick = pool[rng.Next(pool.Count)];
            Assert.True(m.Accept(pick), $"a masked-in token was rejected: {pick}");
            bytes.AddRange(v.Piece(pick).ToArray());
        }

        return (Encoding.UTF8.GetString(bytes.ToArray()), false);
    }
}
