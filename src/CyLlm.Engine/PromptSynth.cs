namespace CyLlm.Engine;

/// <summary>
/// The benchmark prompt of ../shared/peer/bench.mjs: BOS, then a 32-bit LCG (Numerical Recipes constants)
/// over ids [3, vocab). Same seed, same ids, so llama.cpp and CyLlm process identical input.
/// </summary>
public static class PromptSynth
{
    public static int[] Tokens(int count, int vocab, uint seed = 42, int bos = 1)
    {
        var ids = new int[count];
        int n = 0;
        if (bos >= 0 && count > 0)
        {
            ids[n++] = bos;
        }

        uint s = seed;
        while (n < count)
        {
            s = unchecked((s * 1664525u) + 1013904223u);
            ids[n++] = 3 + (int)((s >> 8) % (uint)(vocab - 3));
        }

        return ids;
    }
}
