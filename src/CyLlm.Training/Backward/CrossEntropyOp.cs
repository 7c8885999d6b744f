using System.Numerics.Tensors;

namespace CyLlm.Training.Backward;

/// <summary>
/// Masked token cross-entropy. logits: [rows, vocab]; targets[r] is the next token or −1 where the row does not count.
/// Forward returns Σ −log softmax(logits[r])[target] over counted rows (logits untouched); backward overwrites logits
/// with scale·(softmax − onehot) (0 for rows that do not count), the gradient of scale·loss.
/// </summary>
internal static class CrossEntropyOp
{
    [ThreadStatic]
    private static float[]? t_exp;

    public static double ForwardBackward(ParallelFor par, float[] logits, ReadOnlySpan<int> targets, int rows, int vocab, float scale, bool backward, double[] rowLoss)
    {
        int[] tg = targets.ToArray();
        par.Run(rows, r =>
        {
            var row = logits.AsSpan(r * vocab, vocab);
            int target = tg[r];
            if (target < 0)
            {
                rowLoss[r] = 0;
                if (backward)
                {
                    row.Clear();
                }

                return;
            }

            var e = t_exp is { } b && b.Length >= vocab ? b.AsSpan(0, vocab) : (t_exp = new float[vocab]).AsSpan();
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, e);
            TensorPrimitives.Exp(e, e);
            double sum = TensorPrimitives.Sum(e);
            double logZ = max + Math.Log(sum);
            rowLoss[r] = logZ - row[target];
            if (backward)
            {
                TensorPrimitives.Multiply(e, (float)(scale / sum), row);
                row[target] -= scale;
            }
        });
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            total += rowLoss[r];
        }

        return total;
    }
}
