using System.Diagnostics;
using System.Numerics.Tensors;
using CyLlm.Training.Backward;
using CyLlm.Training.Lora;

namespace CyLlm.Training.Model;

/// <summary>
/// y[rows, out] = x[rows, in]·Wᵀ (+ bias) (+ Scale·dropout(x)·Aᵀ·Bᵀ with LoRA). W: [out, in] row-major.
/// Forward saves the LoRA intermediates; backward needs the same x again.
/// </summary>
public sealed class LinearLayer
{
    public LinearLayer(Parameter weight, Parameter? bias)
    {
        Weight = weight;
        Bias = bias;
    }

    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public LoraModule? Lora { get; set; }
    public int In => Weight.Cols;
    public int Out => Weight.Rows;

    internal void Forward(TrainContext ctx, float[] x, int rows, float[] y, ulong dropoutSeed, bool training)
    {
        ctx.Gemm.Run(x, Weight.Data, y, rows, Out, In, accumulate: false);
        if (Bias is { } b)
        {
            for (int r = 0; r < rows; r++)
            {
                var yr = y.AsSpan(r * Out, Out);
                TensorPrimitives.Add(yr, b.Data, yr);
            }
        }

        if (Lora is not { } l)
        {
            return;
        }

        float[] xd = x;
        if (training && l.Dropout > 0)
        {
            int n = rows * In;
            if (l.Mask.Length < n)
            {
                l.Mask = new float[n];
                l.Xd = new float[n];
            }

            var rng = new TrainingRng(dropoutSeed);
            float keep = 1f / (1f - l.Dropout);
            for (int i = 0; i < n; i++)
            {
                l.Mask[i] = rng.NextFloat() < l.Dropout ? 0f : keep;
                l.Xd[i] = x[i] * l.Mask[i];
            }

            xd = l.Xd;
        }

        if (l.Xa.Length < rows * l.Rank)
        {
            l.Xa = new float[rows * l.Rank];
        }

        ctx.Gemm.Run(xd, l.A.Data, l.Xa, rows, l.Rank, In, accumulate: false);
        var xas = ctx.Scratch(5, rows * l.Rank);
        TensorPrimitives.Multiply(l.Xa.AsSpan(0, rows * l.Rank), l.Scale, xas.AsSpan(0, rows * l.Rank));
        ctx.RowCombination(xas, l.B.Transposed(), y, rows, l.Rank, Out, accumulate: true);
    }

    /// <summary>
    /// From dy [rows, out]: dx [rows, in] written (or added when <paramref name="accumulateDx"/>), and the gradients of
    /// every trainable parameter accumulated. x must be the forward input.
    /// </summary>
    internal void Backward(TrainContext ctx, float[] x, float[] dy, int rows, float[] dx, bool accumulateDx, bool training)
    {
        Debug.Assert(dy.Length >= rows * Out && x.Length >= rows * In);
        ctx.Gemm.Run(dy, Weight.Transposed(ctx), dx, rows, In, Out, accumulateDx);
        if (Weight.Trainable)
        {
            var dyT = ctx.Scratch(0, (long)Out * rows);
            ctx.Transpose(dy, dyT, rows, Out);
            var xT = ctx.Scratch(1, (long)In * rows);
            ctx.Transpose(x, xT, rows, In);
            ctx.Gemm.Run(dyT, xT, Weight.Grad, Out, In, rows, accumulate: true);
        }

        if (Bias is { Trainable: true } b)
        {
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(b.Grad, dy.AsSpan(r * Out, Out), b.Grad);
            }
        }

        if (Lora is not { } l)
        {
            return;
        }

        int rank = l.Rank;
        bool dropped = training && l.Dropout > 0;
        float[] xd = dropped ? l.Xd : x;

        // dB[out, rank] += Scale · dyᵀ · xa, built as dBᵀ[rank, out] = Σ_t Scale·xa[t, :]ᵀ dy[t, :] (no transpose of dy).
        var dbT = ctx.Scratch(2, (long)rank * Out);
        Array.Clear(dbT, 0, rank * Out);
        ctx.AccumulateOuter(l.Xa, l.Scale, dy, dbT, rows, rank, Out);
        for (int o = 0; o < Out; o++)
        {
            for (int j = 0; j < rank; j++)
            {
                l.B.Grad[(o * rank) + j] += dbT[(j * Out) + o];
            }
        }

        // dxa[rows, rank] = Scale · dy · B
        var dxa = ctx.Scratch(3, (long)rows * rank);
        ctx.Gemm.Run(dy, l.B.Transposed(), dxa, rows, rank, Out, accumulate: false);
        TensorPrimitives.Multiply(dxa.AsSpan(0, rows * rank), l.Scale, dxa.AsSpan(0, rows * rank));

        // dA[rank, in] += dxaᵀ · xd
        ctx.AccumulateOuter(dxa, 1f, xd, l.A.Grad, rows, rank, In);

        // dx += mask ⊙ (dxa · A)
        if (!dropped)
        {
            ctx.RowCombination(dxa, l.A.Data, dx, rows, rank, In, accumulate: true);
            return;
        }

        var t = ctx.Scratch(4, (long)rows * In);
        ctx.RowCombination(dxa, l.A.Data, t, rows, rank, In, accumulate: false);
        int n = rows * In;
        TensorPrimitives.Multiply(t.AsSpan(0, n), l.Mask.AsSpan(0, n), t.AsSpan(0, n));
        TensorPrimitives.Add(dx.AsSpan(0, n), t.AsSpan(0, n), dx.AsSpan(0, n));
    }
}
