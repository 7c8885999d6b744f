using CsCheck;
using CyLlm.Engine.Execution;

namespace CyLlm.Engine.Tests;

/// <summary>Query runs of the batched attention: consecutive tokens of one sequence, at most MaxRun, covering the batch.</summary>
public sealed unsafe class AttentionRunsTests
{
    [Fact]
    public void Runs_cover_the_batch_with_consecutive_positions_of_one_sequence()
    {
        // A batch as the scheduler builds it: per sequence a chunk of consecutive positions.
        var chunk = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 300], Gen.Int[1, 40]);
        chunk.Array[1, 12].Sample(chunks =>
        {
            var pos = new List<int>();
            var seq = new List<int>();
            foreach (var (s, start, len) in chunks)
            {
                for (int i = 0; i < len; i++)
                {
                    pos.Add(start + i);
                    seq.Add(s);
                }
            }

            int n = pos.Count;
            var starts = new int[n + 1];
            int runs;
            fixed (int* p = pos.ToArray(), q = seq.ToArray(), r = starts)
            {
                runs = AttentionJob.SplitRuns(p, q, n, r);
            }

            Assert.Equal(0, starts[0]);
            Assert.Equal(n, starts[runs]);
            for (int r = 0; r < runs; r++)
            {
                int a = starts[r], b = starts[r + 1];
                Assert.InRange(b - a, 1, AttentionJob.MaxRun);
                for (int t = a + 1; t < b; t++)
                {
                    Assert.Equal(seq[a], seq[t]);
                    Assert.Equal(pos[t - 1] + 1, pos[t]);
                }
            }

            // Maximal: a run shorter than MaxRun ends where the batch, the sequence or the positions break.
            for (int r = 0; r + 1 < runs; r++)
            {
                int b = starts[r + 1];
                if (b - starts[r] < AttentionJob.MaxRun)
                {
                    Assert.True(seq[b] != seq[b - 1] || pos[b] != pos[b - 1] + 1, $"run {r} ends early at {b}");
                }
            }
        }, iter: 300);
    }
}
