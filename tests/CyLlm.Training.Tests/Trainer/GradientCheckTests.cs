using CyLlm.Engine.Lora;
using CyLlm.Models;
using CyLlm.Training.Backward;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;

namespace CyLlm.Training.Tests.Trainer;

/// <summary>
/// Every backward op against central finite differences of L = Σ r ⊙ f(x) (r random) on tiny shapes, then the
/// whole model (full parameters and LoRA parameters) against finite differences of the mean cross-entropy.
/// </summary>
public sealed class GradientCheckTests
{
    private static readonly TrainContext Ctx = new(TinyModels.Pool);

    private static float[] Rand(int n, ulong seed, float scale = 1f)
    {
        var rng = new TrainingRng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = rng.NextGaussian() * scale;
        }

        return a;
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }

    /// <summary>Checks analytic[i] against (L(x+h) − L(x−h)) / 2h for every element of x.</summary>
    private static void Check(float[] x, float[] analytic, Func<double> loss, string what, float h = 1e-2f, double tol = 4e-3)
    {
        Assert.Equal(x.Length, analytic.Length);
        double maxAbs = analytic.Max(v => Math.Abs((double)v));
        Assert.True(maxAbs > 1e-4, $"{what}: the analytic gradient is all zero, so the check would prove nothing");
        for (int i = 0; i < x.Length; i++)
        {
            float keep = x[i];
            x[i] = keep + h;
            double lp = loss();
            x[i] = keep - h;
            double lm = loss();
            x[i] = keep;
            double numeric = (lp - lm) / (2 * h);
            double err = Math.Abs(numeric - analytic[i]);
            Assert.True(err <= 1e-3 + (tol * Math.Abs(numeric)), $"{what}[{i}]: analytic {analytic[i]:G6} numeric {numeric:G6}");
        }
    }

    [Fact]
    public void MatMul_InputWeightAndBias()
    {
        int rows = 5, inDim = 7, outDim = 6;
        var w = new Parameter("w", outDim, inDim, true, true);
        var b = new Parameter("b", 1, outDim, true, false);
        Rand(w.Length, 1).CopyTo(w.Data, 0);
        Rand(b.Length, 2).CopyTo(b.Data, 0);
        var lin = new LinearLayer(w, b);
        var x = Rand(rows * inDim, 3);
        var r = Rand(rows * outDim, 4);
        var y = new float[rows * outDim];
        double Loss()
        {
            w.MarkChanged();
            lin.Forward(Ctx, x, rows, y, 0, training: false);
            return Dot(y, r);
        }

        Loss();
        var dx = new float[rows * inDim];
        lin.Backward(Ctx, x, r, rows, dx, accumulateDx: false, training: false);
        Check(x, dx, Loss, "dx");
        Check(w.Data, w.Grad, Loss, "dW");
        Check(b.Data, b.Grad, Loss, "db");
    }

    [Fact]
    public void MatMul_LoraWithDropout()
    {
        int rows = 6, inDim = 9, outDim = 5;
        var w = new Parameter("w", outDim, inDim, false, true);
        Rand(w.Length, 1).CopyTo(w.Data, 0);
        var rng = new TrainingRng(5);
        var lin = new LinearLayer(w, null) { Lora = new LoraModule("w", LoraTarget.Q, 3, inDim, outDim, 6f, 0.3f, ref rng) };
        Rand(lin.Lora.B.Length, 7).CopyTo(lin.Lora.B.Data, 0);
        var x = Rand(rows * inDim, 3);
        var r = Rand(rows * outDim, 4);
        var y = new float[rows * outDim];
        double Loss()
        {
            lin.Lora.A.MarkChanged();
            lin.Lora.B.MarkChanged();
            lin.Forward(Ctx, x, rows, y, 42, training: true); // same dropout seed → same mask every call
            return Dot(y, r);
        }

        Loss();
        var dx = new float[rows * inDim];
        lin.Backward(Ctx, x, r, rows, dx, accumulateDx: false, training: true);
        Check(x, dx, Loss, "dx");
        Check(lin.Lora.A.Data, lin.Lora.A.Grad, Loss, "dA");
        Check(lin.Lora.B.Data, lin.Lora.B.Grad, Loss, "dB");
    }

    [Fact]
    public void RmsNorm_InputAndWeight()
    {
        int rows = 4, n = 6;
        var x = Rand(rows * n, 1);
        var w = Rand(n, 2);
        var r = Rand(rows * n, 3);
        var y = new float[rows * n];
        var inv = new float[rows];
        double Loss()
        {
            RmsNormOp.Forward(Ctx.Par, x, w, y, inv, rows, n, 1e-5f);
            return Dot(y, r);
        }

        Loss();
        var dx = new float[rows * n];
        var dw = new float[n];
        RmsNormOp.Backward(Ctx.Par, x, w, inv, r, dx, dw, rows, n, accumulate: false);
        Check(x, dx, Loss, "dx", h: 1e-3f);
        Check(w, dw, Loss, "dw", h: 1e-3f);
    }

    [Theory]
    [InlineData(RopeLayout.Interleaved)]
    [InlineData(RopeLayout.HalfSplit)]
    public void Rope_Rotation(RopeLayout layout)
    {
        int rows = 5, heads = 2, hd = 6;
        var rope = new RopeOp(CyLlm.Tensors.Rope.InverseFrequencies(4, 10000f, []), 16, hd, layout);
        int[] pos = [0, 1, 2, 7, 3];
        var x = Rand(rows * heads * hd, 1);
        var r = Rand(x.Length, 2);
        double Loss()
        {
            var y = (float[])x.Clone();
            rope.Apply(Ctx.Par, y, pos, rows, heads, inverse: false);
            return Dot(y, r);
        }

        var dx = (float[])r.Clone();
        rope.Apply(Ctx.Par, dx, pos, rows, heads, inverse: true);
        Check(x, dx, Loss, "dx");
    }

    [Fact]
    public void Attention_CausalGqaTwoSegments()
    {
        int heads = 4, kvHeads = 2, hd = 3;
        int[] starts = [0, 4], lengths = [4, 3];
        int rows = 7;
        var att = new AttentionOp(heads, kvHeads, hd);
        var offsets = new long[2];
        var probs = new float[att.ProbSize(lengths, offsets)];
        var q = Rand(rows * heads * hd, 1);
        var k = Rand(rows * kvHeads * hd, 2);
        var v = Rand(rows * kvHeads * hd, 3);
        var r = Rand(rows * heads * hd, 4);
        var o = new float[rows * heads * hd];
        double Loss()
        {
            att.Forward(Ctx.Par, q, k, v, o, probs, starts, lengths, offsets);
            return Dot(o, r);
        }

        Loss();
        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        att.Backward(Ctx.Par, q, k, v, probs, r, dq, dk, dv, starts, lengths, offsets);
        Check(q, dq, Loss, "dq");
        Check(k, dk, Loss, "dk");
        Check(v, dv, Loss, "dv");

        // Causality: the first row's output does not depend on later rows' keys.
        var o0 = o[..(heads * hd)];
        k[(2 * kvHeads * hd) + 1] += 5f;
        Loss();
        Assert.Equal(o0, o[..(heads * hd)]);
    }

    [Fact]
    public void SwiGlu_GateAndUp()
    {
        int n = 20;
        var g = Rand(n, 1, 2f);
        var u = Rand(n, 2);
        var r = Rand(n, 3);
        var h = new float[n];
        double Loss()
        {
            SwiGluOp.Forward(Ctx.Par, g, u, h, n);
            return Dot(h, r);
        }

        var dg = new float[n];
        var du = new float[n];
        SwiGluOp.Backward(Ctx.Par, g, u, r, dg, du, n);
        Check(g, dg, Loss, "dg", h: 1e-3f);
        Check(u, du, Loss, "du", h: 1e-3f);
    }

    [Fact]
    public void Embedding_ScatterAddsRepeatedTokens()
    {
        int vocab = 5, dim = 3;
        var table = Rand(vocab * dim, 1);
        int[] tokens = [2, 0, 2, 4];
        var r = Rand(tokens.Length * dim, 2);
        var x = new float[tokens.Length * dim];
        double Loss()
        {
            EmbeddingOp.Forward(table, tokens, x, dim);
            return Dot(x, r);
        }

        var d = new float[table.Length];
        EmbeddingOp.Backward(d, tokens, r, dim);
        Check(table, d, Loss, "dE");
        Assert.All(d.AsSpan(dim, dim).ToArray(), v => Assert.Equal(0f, v)); // token 1 never appears
    }

    [Fact]
    public void CrossEntropy_MaskedRowsGetNoGradient()
    {
        int rows = 4, vocab = 6;
        var logits = Rand(rows * vocab, 1, 2f);
        int[] targets = [3, -1, 0, 5];
        var rowLoss = new double[rows];
        double Loss() => CrossEntropyOp.ForwardBackward(Ctx.Par, (float[])logits.Clone(), targets, rows, vocab, 0, false, rowLoss);

        var grad = (float[])logits.Clone();
        double l = CrossEntropyOp.ForwardBackward(Ctx.Par, grad, targets, rows, vocab, 1f, true, rowLoss);
        Assert.True(l > 0);
        Check(logits, grad, Loss, "dlogits", h: 1e-3f);
        Assert.All(grad.AsSpan(vocab, vocab).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(false, false, RopeLayout.Interleaved)]
    [InlineData(true, true, RopeLayout.HalfSplit)]
    public void WholeModel_FullParameters(bool tied, bool bias, RopeLayout layout)
    {
        var m = TinyModels.Model(tied: tied, bias: bias, layout: layout);
        var batch = new TrainingBatch([TinyModels.Example([1, 5, 7, 2, 9, 3], 2), TinyModels.Example([4, 4, 11, 12, 0])], 16);
        double Loss()
        {
            m.MarkParametersChanged();
            return m.Forward(batch, training: false) / batch.CountedTokens;
        }

        m.ZeroGrad();
        m.ForwardBackward(batch, 1f / batch.CountedTokens, 0);
        foreach (var p in m.AllParameters())
        {
            // Sample up to 12 elements of each tensor to keep the test quick.
            var idx = Enumerable.Range(0, p.Length).Where(i => i % Math.Max(1, p.Length / 12) == 0).ToArray();
            var sub = idx.Select(i => p.Grad[i]).ToArray();
            if (sub.All(v => Math.Abs(v) < 1e-6))
            {
                continue; // e.g. an embedding row of a token that never appears
            }

            foreach (int i in idx)
            {
                float keep = p.Data[i];
                p.Data[i] = keep + 1e-2f;
                double lp = Loss();
                p.Data[i] = keep - 1e-2f;
                double lm = Loss();
                p.Data[i] = keep;
                double numeric = (lp - lm) / 2e-2;
                Assert.True(Math.Abs(numeric - p.Grad[i]) <= 2e-3 + (3e-2 * Math.Abs(numeric)), $"{p.Name}[{i}]: analytic {p.Grad[i]:G6} numeric {numeric:G6}");
            }
        }
    }

    [Fact]
    public void WholeModel_LoraParameters()
    {
        var m = TinyModels.Model();
        m.AttachLora(new LoraSettings(2, 4f, 0f, LoraSettings.AllTargets), 7);
        var rng = new TrainingRng(8);
        foreach (var p in m.TrainableParameters())
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = rng.NextGaussian() * 0.3f; // B is zero at init; make both factors matter
            }
        }

        Assert.All(m.AllParameters().Where(p => !p.Name.Contains("lora")), p => Assert.False(p.Trainable));
        var batch = new TrainingBatch([TinyModels.Example([1, 5, 7, 2, 9, 3, 8])], 16);
        double Loss()
        {
            m.MarkParametersChanged();
            return m.Forward(batch, training: false) / batch.CountedTokens;
        }

        m.ZeroGrad();
        m.ForwardBackward(batch, 1f / batch.CountedTokens, 0);
        int checkedCount = 0;
        foreach (var p in m.TrainableParameters())
        {
            Check(p.Data, p.Grad, Loss, p.Name, h: 1e-2f, tol: 1e-2);
            checkedCount++;
        }

        Assert.Equal(2 * 2 * 7, checkedCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WholeModel_OutputHeadLoraParameters(bool tied)
    {
        var m = TinyModels.Model(tied: tied);
        m.AttachLora(new LoraSettings(2, 4f, 0f, [LoraTarget.Q, LoraTarget.Output]), 7);
        var rng = new TrainingRng(9);
        foreach (var p in m.TrainableParameters())
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = rng.NextGaussian() * 0.3f;
            }
        }

        Assert.Equal(["output.weight.lora_a", "output.weight.lora_b"], m.TrainableParameters().TakeLast(2).Select(p => p.Name));
        var batch = new TrainingBatch([TinyModels.Example([1, 5, 7, 2, 9, 3, 8])], 16);
        double Loss()
        {
            m.MarkParametersChanged();
            return m.Forward(batch, training: false) / batch.CountedTokens;
        }

        m.ZeroGrad();
        m.ForwardBackward(batch, 1f / batch.CountedTokens, 0);
        foreach (var p in m.TrainableParameters())
        {
            Check(p.Data, p.Grad, Loss, p.Name, h: 1e-2f, tol: 1e-2);
        }
    }
}
