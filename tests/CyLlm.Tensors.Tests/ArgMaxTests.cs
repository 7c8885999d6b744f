using System.Numerics.Tensors;

namespace CyLlm.Tensors.Tests;

/// <summary><see cref="ArgMax"/> equals TensorPrimitives.IndexOfMax on every input, including ties, NaN, ±0 and ±∞.</summary>
public class ArgMaxTests
{
    public static TheoryData<int> Lengths()
    {
        var d = new TheoryData<int>();
        for (int n = 0; n <= 256; n++)
        {
            d.Add(n);
        }

        d.Add(1000);
        d.Add(32000);
        d.Add(32001);
        return d;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Equals_TensorPrimitives_on_random_and_hostile_inputs(int n)
    {
        var rng = new Random(n);
        var x = new float[n];
        for (int trial = 0; trial < 12; trial++)
        {
            for (int i = 0; i < n; i++)
            {
                // Few distinct values make ties common, in every lane and in the tail.
                x[i] = trial % 3 == 0 ? rng.Next(-3, 4) : (float)((rng.NextDouble() * 40) - 20);
            }

            if (n > 0)
            {
                switch (trial)
                {
                    case 4: x[rng.Next(n)] = float.NaN; break;
                    case 5: Array.Fill(x, float.NegativeInfinity); break;
                    case 6: x[rng.Next(n)] = float.PositiveInfinity; x[rng.Next(n)] = float.PositiveInfinity; break;
                    case 7: Array.Fill(x, -0f); x[rng.Next(n)] = 0f; break;
                    case 8: Array.Fill(x, -1f); x[n - 1] = 5; break;           // the maximum in the scalar tail
                    case 9: Array.Fill(x, 2f); break;                           // all equal: index 0
                    case 10: x[n - 1] = float.NaN; break;                      // NaN in the tail
                    case 11: Array.Fill(x, -5f); x[rng.Next(n)] = 0f; break;   // zero maximum
                }
            }

            Assert.Equal(TensorPrimitives.IndexOfMax<float>(x), ArgMax.Find(x));
        }
    }
}
