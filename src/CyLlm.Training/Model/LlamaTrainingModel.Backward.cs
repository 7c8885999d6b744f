using System.Numerics.Tensors;
using CyLlm.Training.Backward;

namespace CyLlm.Training.Model;

/// <summary>Backward pass: accumulates into the Grad of every trainable parameter.</summary>
public sealed partial class LlamaTrainingModel
{
    private float[] _dx = [], _dn = [], _dq = [], _dk = [], _dv = [], _dAtt = [], _dg = [], _du = [], _dh = [];

    /// <summary>
    /// Forward + backward on <paramref name="batch"/>; gradients of lossScale·Σloss are added to every trainable
    /// parameter's Grad. Returns Σ loss over counted rows.
    /// </summary>
    public double ForwardBackward(TrainingBatch batch, float lossScale, ulong dropoutSeed)
    {
        double loss = Forward(batch, training: true, dropoutSeed);
        Backward(batch, lossScale);
        return loss;
    }

    private void Backward(TrainingBatch batch, float lossScale)
    {
        var c = Config;
        var par = _ctx.Par;
        int rows = batch.Rows, d = c.Dim, qw = c.Heads * c.HeadDim, kw = c.KvHeads * c.HeadDim, h = c.HiddenDim, vocab = c.VocabSize;
        Ensure(ref _dx, rows * d);
        Ensure(ref _dn, rows * d);
        Ensure(ref _dq, rows * qw);
        Ensure(ref _dAtt, rows * qw);
        Ensure(ref _dk, rows * kw);
        Ensure(ref _dv, rows * kw);
        Ensure(ref _dg, rows * h);
        Ensure(ref _du, rows * h);
        Ensure(ref _dh, rows * h);

        CrossEntropyOp.ForwardBackward(par, _logits, batch.Targets, rows, vocab, lossScale, backward: true, _rowLoss);
        var dLogits = _logits;

        // Output head: logits = finalNorm · Headᵀ (+ its LoRA).
        Head.Backward(_ctx, _finalNorm, dLogits, rows, _dn, accumulateDx: false, training: true);

        RmsNormOp.Backward(par, _finalIn, OutputNorm.Data, _finalInv, _dn, _dx, OutputNorm.Trainable ? OutputNorm.Grad : null, rows, d, accumulate: false);

        for (int li = Layers.Length - 1; li >= 0; li--)
        {
            var l = Layers[li];

            // MLP: x_out = mid + Down(h); h = silu(Gate(n2)) ⊙ Up(n2); n2 = norm(mid).
            l.Down.Backward(_ctx, l.H, _dx, rows, _dh, accumulateDx: false, training: true);
            SwiGluOp.Backward(par, l.G, l.U, _dh, _dg, _du, rows * h);
            l.Gate.Backward(_ctx, l.N2, _dg, rows, _dn, accumulateDx: false, training: true);
            l.Up.Backward(_ctx, l.N2, _du, rows, _dn, accumulateDx: true, training: true);
            RmsNormOp.Backward(par, l.Mid, l.FfnNorm.Data, l.Inv2, _dn, _dx, l.FfnNorm.Trainable ? l.FfnNorm.Grad : null, rows, d, accumulate: true);

            // Attention: mid = input + O(att); att = attention(rope(Q n1), rope(K n1), V n1).
            l.O.Backward(_ctx, l.Att, _dx, rows, _dAtt, accumulateDx: false, training: true);
            _attention.Backward(par, l.Qa, l.Ka, l.Va, l.Probs, _dAtt, _dq, _dk, _dv, batch.Starts, batch.Lengths, _probOffsets);
            _rope.Apply(par, _dq, batch.Positions, rows, c.Heads, inverse: true);
            _rope.Apply(par, _dk, batch.Positions, rows, c.KvHeads, inverse: true);
            l.Q.Backward(_ctx, l.N1, _dq, rows, _dn, accumulateDx: false, training: true);
            l.K.Backward(_ctx, l.N1, _dk, rows, _dn, accumulateDx: true, training: true);
            l.V.Backward(_ctx, l.N1, _dv, rows, _dn, accumulateDx: true, training: true);
            RmsNormOp.Backward(par, l.Input, l.AttnNorm.Data, l.Inv1, _dn, _dx, l.AttnNorm.Trainable ? l.AttnNorm.Grad : null, rows, d, accumulate: true);
        }

        if (Embedding.Trainable)
        {
            EmbeddingOp.Backward(Embedding.Grad, batch.Tokens, _dx, d);
        }
    }

    /// <summary>Zeroes every trainable gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in AllParameters())
        {
            if (p.Trainable)
            {
                Array.Clear(p.Grad);
            }
        }
    }

    /// <summary>After an optimizer update: invalidates the cached transposes.</summary>
    public void MarkParametersChanged()
    {
        foreach (var p in AllParameters())
        {
            if (p.Trainable)
            {
                p.MarkChanged();
            }
        }
    }

}
