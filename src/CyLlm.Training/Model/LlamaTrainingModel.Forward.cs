using System.Numerics.Tensors;
using CyLlm.Training.Backward;

namespace CyLlm.Training.Model;

/// <summary>Forward pass with saved activations.</summary>
public sealed partial class LlamaTrainingModel
{
    // Model-level activations of the last forward: residual stream [rows, D], final norm input/output and inv rms,
    // logits [rows, vocab] (overwritten by their gradient in backward), per-row losses.
    private float[] _x = [], _finalIn = [], _finalNorm = [], _finalInv = [], _logits = [];
    private double[] _rowLoss = [];
    private long[] _probOffsets = [];
    private TrainingBatch? _saved;

    /// <summary>Runs the forward pass; returns Σ loss over counted rows (the caller divides by the count).</summary>
    public double Forward(TrainingBatch batch, bool training, ulong dropoutSeed = 0)
    {
        var c = Config;
        int rows = batch.Rows, d = c.Dim, qw = c.Heads * c.HeadDim, kw = c.KvHeads * c.HeadDim, h = c.HiddenDim, vocab = c.VocabSize;
        foreach (int p in batch.Positions)
        {
            if (p >= c.ContextLength)
            {
                throw new ArgumentException($"a training sequence is longer than the model context ({c.ContextLength} tokens)");
            }
        }

        foreach (int t in batch.Tokens)
        {
            if ((uint)t >= (uint)vocab)
            {
                throw new ArgumentException($"token id {t} is outside the vocabulary (0..{vocab - 1})");
            }
        }

        if (_probOffsets.Length < batch.Lengths.Length)
        {
            _probOffsets = new long[batch.Lengths.Length];
        }

        long probs = _attention.ProbSize(batch.Lengths, _probOffsets);
        Ensure(ref _x, rows * d);
        Ensure(ref _finalIn, rows * d);
        Ensure(ref _finalNorm, rows * d);
        Ensure(ref _finalInv, rows);
        Ensure(ref _logits, (long)rows * vocab);
        if (_rowLoss.Length < rows)
        {
            _rowLoss = new double[rows];
        }

        var par = _ctx.Par;
        EmbeddingOp.Forward(Embedding.Data, batch.Tokens, _x, d);
        for (int li = 0; li < Layers.Length; li++)
        {
            var l = Layers[li];
            l.Ensure(rows, d, qw, kw, h, probs);
            Array.Copy(_x, l.Input, rows * d);
            RmsNormOp.Forward(par, l.Input, l.AttnNorm.Data, l.N1, l.Inv1, rows, d, c.RmsNormEps);
            ulong ls = dropoutSeed + ((ulong)li * 16);
            l.Q.Forward(_ctx, l.N1, rows, l.Qa, ls + 0, training);
            l.K.Forward(_ctx, l.N1, rows, l.Ka, ls + 1, training);
            l.V.Forward(_ctx, l.N1, rows, l.Va, ls + 2, training);
            _rope.Apply(par, l.Qa, batch.Positions, rows, c.Heads, inverse: false);
            _rope.Apply(par, l.Ka, batch.Positions, rows, c.KvHeads, inverse: false);
            _attention.Forward(par, l.Qa, l.Ka, l.Va, l.Att, l.Probs, batch.Starts, batch.Lengths, _probOffsets);
            l.O.Forward(_ctx, l.Att, rows, l.Mid, ls + 3, training);
            TensorPrimitives.Add(l.Mid.AsSpan(0, rows * d), l.Input.AsSpan(0, rows * d), l.Mid.AsSpan(0, rows * d));
            RmsNormOp.Forward(par, l.Mid, l.FfnNorm.Data, l.N2, l.Inv2, rows, d, c.RmsNormEps);
            l.Gate.Forward(_ctx, l.N2, rows, l.G, ls + 4, training);
            l.Up.Forward(_ctx, l.N2, rows, l.U, ls + 5, training);
            SwiGluOp.Forward(par, l.G, l.U, l.H, rows * h);
            l.Down.Forward(_ctx, l.H, rows, _x, ls + 6, training);
            TensorPrimitives.Add(_x.AsSpan(0, rows * d), l.Mid.AsSpan(0, rows * d), _x.AsSpan(0, rows * d));
        }

        Array.Copy(_x, _finalIn, rows * d);
        RmsNormOp.Forward(par, _finalIn, OutputNorm.Data, _finalNorm, _finalInv, rows, d, c.RmsNormEps);
        Head.Forward(_ctx, _finalNorm, rows, _logits, dropoutSeed + ((ulong)Layers.Length * 16), training);
        _saved = batch;
        return CrossEntropyOp.ForwardBackward(par, _logits, batch.Targets, rows, vocab, 0, backward: false, _rowLoss);
    }

    /// <summary>Logits [tokens, vocab] of one sequence (no dropout); a copy.</summary>
    public float[] Logits(int[] tokens)
    {
        var ex = new Data.TrainingExample(tokens, new bool[tokens.Length], 0);
        var batch = new TrainingBatch([ex], tokens.Length);
        Forward(batch, training: false);
        return _logits.AsSpan(0, tokens.Length * Config.VocabSize).ToArray();
    }

    private static void Ensure(ref float[] a, long n)
    {
        if (a.Length < n)
        {
            a = new float[n];
        }
    }
}
