using CsCheck;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>The attention tile kernels against plain double-precision loops.</summary>
public unsafe class AttentionKernelTests
{
    [Fact]
    public void Scores_match_a_reference_for_every_tile_size_and_head_width()
    {
        Gen.Select(Gen.Int[1, AttentionKernel.Tile], Gen.Int[0, 5].Select(i => new[] { 8, 16, 48, 64, 80, 128 }[i]), Gen.Int[0, 40], Gen.Int[0, 1000]).Sample((m, hd, pad, seed) =>
        {
            var rng = new Random(seed);
            int stride = hd + pad;
            var q = QuantTestData.RandomFloats(hd, rng, 2);
            var k = QuantTestData.RandomFloats(stride * m, rng, 2);
            var s = new float[m];
            fixed (float* pq = q, pk = k, ps = s)
            {
                AttentionKernel.Scores(pq, pk, stride, hd, m, 0.125f, ps);
            }

            for (int j = 0; j < m; j++)
            {
                double want = 0;
                for (int d = 0; d < hd; d++)
                {
                    want += (double)q[d] * k[(j * stride) + d];
                }

                want *= 0.125;
                Assert.True(Math.Abs(s[j] - want) <= 1e-4 * (1 + Math.Abs(want)), $"m {m} hd {hd} key {j}: {s[j]} vs {want}");
            }
        }, iter: 300);
    }

    [Fact]
    public void Values_accumulate_onto_the_output()
    {
        Gen.Select(Gen.Int[1, AttentionKernel.Tile], Gen.Int[0, 5].Select(i => new[] { 8, 16, 24, 48, 64, 96 }[i]), Gen.Int[0, 9], Gen.Int[0, 1000]).Sample((m, hd, pad, seed) =>
        {
            var rng = new Random(seed);
            int stride = hd + pad;
            var p = QuantTestData.RandomFloats(m, rng, 1);
            var v = QuantTestData.RandomFloats(stride * m, rng, 2);
            var o = QuantTestData.RandomFloats(hd, rng, 1);
            var want = new double[hd];
            for (int d = 0; d < hd; d++)
            {
                want[d] = o[d];
                for (int j = 0; j < m; j++)
                {
                    want[d] += (double)p[j] * v[(j * stride) + d];
                }
            }

            fixed (float* pp = p, pv = v, po = o)
            {
                AttentionKernel.AccumulateValues(pp, pv, stride, m, hd, po);
            }

            for (int d = 0; d < hd; d++)
            {
                Assert.True(Math.Abs(o[d] - want[d]) <= 1e-4 * (1 + Math.Abs(want[d])), $"m {m} hd {hd} d {d}: {o[d]} vs {want[d]}");
            }
        }, iter: 300);
    }

    [Fact]
    public void Values_of_a_head_group_equal_the_per_head_kernel_bit_for_bit()
    {
        Gen.Select(Gen.Int[1, AttentionKernel.Tile], Gen.Int[0, 5].Select(i => new[] { 8, 16, 32, 64, 96, 128 }[i]), Gen.Int[1, 8], Gen.Int[0, 1000]).Sample((m, hd, heads, seed) =>
        {
            var rng = new Random(seed);
            int vStride = hd + (seed % 5);
            int pStride = m + 3, oStride = hd + 7;
            var p = QuantTestData.RandomFloats(pStride * heads, rng, 1);
            var v = QuantTestData.RandomFloats(vStride * m, rng, 2);
            var grouped = QuantTestData.RandomFloats(oStride * heads, rng, 1);
            var single = (float[])grouped.Clone();
            fixed (float* pp = p, pv = v, pg = grouped, ps = single)
            {
                AttentionKernel.AccumulateValuesHeads(pp, pStride, pv, vStride, m, hd, pg, oStride, heads);
                for (int h = 0; h < heads; h++)
                {
                    AttentionKernel.AccumulateValues(pp + (h * pStride), pv, vStride, m, hd, ps + (h * oStride));
                }
            }

            Assert.Equal(single, grouped);
        }, iter: 300);
    }

    [Fact]
    public void Q8_0_rows_round_trip_within_half_a_step_and_match_ggml_layout()
    {
        Gen.Select(Gen.Int[1, 8], Gen.Int[0, 1000]).Sample((blocks, seed) =>
        {
            var rng = new Random(seed);
            int n = blocks * 32;
            var x = QuantTestData.RandomFloats(n, rng, 3);
            var q = new byte[blocks * 34];
            var back = new float[n];
            fixed (float* px = x, pb = back)
            fixed (byte* pq = q)
            {
                AttentionKernel.QuantizeQ8_0(px, pq, n);
                AttentionKernel.DecodeTile(GgmlType.Q8_0, pq, n / 32 * 34, 1, n, pb);
            }

            for (int b = 0; b < blocks; b++)
            {
                float amax = 0;
                for (int i = 0; i < 32; i++)
                {
                    amax = Math.Max(amax, Math.Abs(x[(b * 32) + i]));
                }

                float d = (float)BitConverter.ToHalf(q, b * 34);
                Assert.Equal(amax / 127f, d, 0.002f * (amax / 127f) + 1e-7f);
                for (int i = 0; i < 32; i++)
                {
                    Assert.True(Math.Abs(back[(b * 32) + i] - x[(b * 32) + i]) <= (0.5f * d) + (amax * 2e-3f), $"block {b} element {i}");
                }
            }
        }, iter: 200);
    }
}
