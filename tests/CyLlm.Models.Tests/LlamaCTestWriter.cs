namespace CyLlm.Models.Tests;

/// <summary>Writes llama2.c checkpoints (legacy v0 and version 1) with random float32 weights, as llama2.c's
/// export.py lays them out.</summary>
internal static class LlamaCTestWriter
{
    public sealed record Params(int Dim, int Hidden, int Layers, int Heads, int KvHeads, int Vocab, int SeqLen);

    public static readonly Params Tiny = new(8, 16, 2, 2, 1, 6, 4);

    /// <summary>A legacy checkpoint; <paramref name="shared"/> false writes a separate classifier and a negative vocab.</summary>
    public static byte[] Legacy(Params p, bool shared = true, int seed = 1)
    {
        var rng = new Random(seed);
        var w = Weights(p, rng);
        var ms = new MemoryStream();
        var bw = new BinaryWriter(ms);
        foreach (int v in new[] { p.Dim, p.Hidden, p.Layers, p.Heads, p.KvHeads, shared ? p.Vocab : -p.Vocab, p.SeqLen })
        {
            bw.Write(v);
        }

        foreach (var name in new[] { "emb", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final", "freq_cis" })
        {
            Floats(bw, w[name]);
        }

        if (!shared)
        {
            Floats(bw, w["wcls"]);
        }

        return ms.ToArray();
    }

    /// <summary>The same weights (same seed) as a version-1 checkpoint: "ak42", 1, params, shared flag, 256-byte header.</summary>
    public static byte[] Version1(Params p, bool shared = true, int seed = 1, int version = 1)
    {
        var rng = new Random(seed);
        var w = Weights(p, rng);
        var ms = new MemoryStream();
        var bw = new BinaryWriter(ms);
        bw.Write(0x616b3432u);
        bw.Write(version);
        foreach (int v in new[] { p.Dim, p.Hidden, p.Layers, p.Heads, p.KvHeads, p.Vocab, p.SeqLen })
        {
            bw.Write(v);
        }

        bw.Write(shared ? (byte)1 : (byte)0);
        bw.Flush();
        ms.Write(new byte[256 - ms.Length]);
        foreach (var name in new[] { "rms_att", "rms_ffn", "rms_final", "emb", "wq", "wk", "wv", "wo", "w1", "w2", "w3" })
        {
            Floats(bw, w[name]);
        }

        if (!shared)
        {
            Floats(bw, w["wcls"]);
        }

        return ms.ToArray();
    }

    private static Dictionary<string, float[]> Weights(Params p, Random rng)
    {
        int headDim = p.Dim / p.Heads, kvDim = p.KvHeads * headDim, l = p.Layers;
        float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        return new Dictionary<string, float[]>
        {
            ["emb"] = R((long)p.Vocab * p.Dim),
            ["rms_att"] = R(l * p.Dim),
            ["wq"] = R((long)l * p.Dim * p.Dim),
            ["wk"] = R((long)l * p.Dim * kvDim),
            ["wv"] = R((long)l * p.Dim * kvDim),
            ["wo"] = R((long)l * p.Dim * p.Dim),
            ["rms_ffn"] = R(l * p.Dim),
            ["w1"] = R((long)l * p.Dim * p.Hidden),
            ["w2"] = R((long)l * p.Hidden * p.Dim),
            ["w3"] = R((long)l * p.Dim * p.Hidden),
            ["rms_final"] = R(p.Dim),
            ["freq_cis"] = R(2L * p.SeqLen * (headDim / 2)),
            ["wcls"] = R((long)p.Vocab * p.Dim),
        };
    }

    private static void Floats(BinaryWriter w, float[] a)
    {
        foreach (float f in a)
        {
            w.Write(f);
        }
    }

    /// <summary>A tokenizer.bin of <paramref name="pieces"/> (ids in order) with scores −id.</summary>
    public static byte[] Tokenizer(params string[] pieces)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(pieces.Max(p => System.Text.Encoding.UTF8.GetByteCount(p)));
        for (int i = 0; i < pieces.Length; i++)
        {
            var b = System.Text.Encoding.UTF8.GetBytes(pieces[i]);
            w.Write((float)-i);
            w.Write(b.Length);
            w.Write(b);
        }

        return ms.ToArray();
    }
}
