using CsCheck;
using CyLlm.Jobs.Files;
using CyLlm.Training.Checkpoints;

namespace CyLlm.Training.Tests.Trainer;

/// <summary>Property tests: finding the latest valid checkpoint, pruning, and the early-stopping rule.</summary>
public sealed class CheckpointPropertyTests
{
    private enum Kind
    {
        Complete,
        Partial,
        Corrupt,
    }

    [Fact]
    public void LatestValidCheckpoint_IsAlwaysFound()
    {
        var gen = Gen.Select(Gen.Int[1, 60], Gen.Int[0, 2].Select(i => (Kind)i)).Array[0, 8];
        gen.Sample(items =>
        {
            string dir = TrainTestPaths.TempDir("scan");
            try
            {
                var byStep = new Dictionary<int, Kind>();
                foreach (var (step, kind) in items)
                {
                    byStep[step] = kind;
                }

                foreach (var (step, kind) in byStep)
                {
                    string path = Path.Combine(dir, CheckpointStore.FileName(step));
                    AtomicFile.WriteAsync(path, new byte[] { 1, 2, 3, (byte)step }).GetAwaiter().GetResult();
                    if (kind == Kind.Partial)
                    {
                        File.Delete(path + AtomicFile.MarkerSuffix);
                    }
                    else if (kind == Kind.Corrupt)
                    {
                        File.WriteAllBytes(path, [9, 9, 9, 9]); // same size, different hash
                    }
                }

                var scan = new CheckpointStore(dir).FindLatest();
                var valid = byStep.Where(kv => kv.Value == Kind.Complete).Select(kv => kv.Key).ToList();
                int expected = valid.Count > 0 ? valid.Max() : 0;
                Assert.Equal(expected, scan.LatestStep);
                Assert.Equal(valid.Count > 0 ? Path.Combine(dir, CheckpointStore.FileName(expected)) : null, scan.Latest);
                Assert.Equal(byStep.Count(kv => kv.Key > expected), scan.Skipped.Count);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }, iter: 60);
    }

    [Fact]
    public void Prune_KeepsTheLastKAndTheBest()
    {
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 4], Gen.Int[0, 12]).Sample((count, keep, best) =>
        {
            string dir = TrainTestPaths.TempDir("prune");
            try
            {
                for (int s = 1; s <= count; s++)
                {
                    AtomicFile.WriteAsync(Path.Combine(dir, CheckpointStore.FileName(s)), new byte[] { (byte)s }).GetAwaiter().GetResult();
                }

                new CheckpointStore(dir).Prune(keep, best == 0 ? null : best);
                var left = Directory.GetFiles(dir, "ckpt-*.bin").Select(p => CheckpointStore.StepOf(p)!.Value).Order().ToList();
                var expected = Enumerable.Range(1, count).Where(s => s > count - keep || s == best).Select(s => (long)s).ToList();
                Assert.Equal(expected, left);
                Assert.All(left, s => Assert.True(File.Exists(Path.Combine(dir, CheckpointStore.FileName(s)) + ".ok")));
                Assert.Equal(left.Count, Directory.GetFiles(dir, "*.ok").Length);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }, iter: 40);
    }

    [Fact]
    public void EarlyStopping_TriggersExactlyAfterPatienceNonImprovingEvaluations()
    {
        Gen.Select(Gen.Double[0, 3].Array[1, 30], Gen.Int[1, 5], Gen.Double[0, 0.5]).Sample((losses, patience, minDelta) =>
        {
            // Oracle: an evaluation improves when it beats every earlier improving value by more than minDelta; stop at the
            // first evaluation that is `patience` evaluations after the last improvement.
            var improving = new List<int>();
            int expectedStop = -1;
            for (int i = 0; i < losses.Length; i++)
            {
                bool better = improving.Count == 0 || losses[i] < improving.Min(j => losses[j]) - minDelta;
                if (better)
                {
                    improving.Add(i);
                }

                if (i - improving[^1] >= patience)
                {
                    expectedStop = i;
                    break;
                }
            }

            var es = new EarlyStopping(patience, minDelta);
            int actualStop = -1;
            for (int i = 0; i < losses.Length; i++)
            {
                if (es.Observe(losses[i]))
                {
                    actualStop = i;
                    break;
                }
            }

            Assert.Equal(expectedStop, actualStop);
        }, iter: 500);
    }
}
