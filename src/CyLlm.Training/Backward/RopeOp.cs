using System.Diagnostics;
using CyLlm.Models;

namespace CyLlm.Training.Backward;

/// <summary>
/// Rotary position embedding on rows of [heads × headDim]: the first ropeDims of each head rotate in pairs
/// (adjacent pairs for <see cref="RopeLayout.Interleaved"/>, (i, i + ropeDims/2) for HalfSplit) by position·invFreq.
/// cos/sin tables: [context, ropeDims/2], built from the engine's <see cref="Tensors.Rope"/> so angles match inference.
/// Backward is the inverse rotation (rotation is orthogonal).
/// </summary>
internal sealed class RopeOp
{
    private readonly float[] _cos, _sin;
    private readonly int _half, _headDim;
    private readonly RopeLayout _layout;

    public RopeOp(float[] inverseFrequencies, int context, int headDim, RopeLayout layout)
    {
        _half = inverseFrequencies.Length;
        _headDim = headDim;
        _layout = layout;
        _cos = new float[context * _half];
        _sin = new float[context * _half];
        for (int p = 0; p < context; p++)
        {
            Tensors.Rope.Angles(p, inverseFrequencies, _cos.AsSpan(p * _half, _half), _sin.AsSpan(p * _half, _half));
        }

        Context = context;
    }

    public int Context { get; }

    /// <summary>Rotates x [rows, heads·headDim] in place; positions[r] per row; inverse = backward.</summary>
    public void Apply(ParallelFor par, float[] x, ReadOnlySpan<int> positions, int rows, int heads, bool inverse)
    {
        int[] pos = positions.ToArray();
        int width = heads * _headDim;
        par.Run(rows, r =>
        {
            int p = pos[r];
            Debug.Assert(p >= 0 && p < Context);
            var cos = _cos.AsSpan(p * _half, _half);
            var sin = _sin.AsSpan(p * _half, _half);
            float sign = inverse ? -1f : 1f;
            for (int h = 0; h < heads; h++)
            {
                var v = x.AsSpan((r * width) + (h * _headDim), _headDim);
                for (int i = 0; i < _half; i++)
                {
                    int a = _layout == RopeLayout.Interleaved ? 2 * i : i;
                    int b = _layout == RopeLayout.Interleaved ? (2 * i) + 1 : i + _half;
                    float c = cos[i], s = sign * sin[i];
                    float x0 = v[a], x1 = v[b];
                    v[a] = (x0 * c) - (x1 * s);
                    v[b] = (x0 * s) + (x1 * c);
                }
            }
        });
    }
}
