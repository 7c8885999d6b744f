using CsCheck;
using CyLlm.Training.FineTuning;

namespace CyLlm.Training.Tests.FineTuning;

public sealed class JobQueuePolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Gen<QueuedJob> GenJob =
        Gen.Select(Gen.Int[0, 999], Gen.Int[-3, 3], Gen.Int[0, 20], (id, p, t) => new QueuedJob($"ftjob-{id:D4}", p, T0.AddSeconds(t)));

    [Fact]
    public void The_first_job_is_the_highest_priority_then_the_earliest()
    {
        GenJob.List[1, 30].Sample(jobs =>
        {
            var order = JobQueuePolicy.Order(jobs);
            var first = order[0];
            int top = jobs.Max(j => j.Priority);
            Assert.Equal(top, first.Priority);
            Assert.Equal(jobs.Where(j => j.Priority == top).Min(j => j.CreatedAt), first.CreatedAt);
            for (int i = 1; i < order.Count; i++)
            {
                Assert.True(JobQueuePolicy.Compare(order[i - 1], order[i]) <= 0);
                Assert.True(order[i - 1].Priority > order[i].Priority
                    || (order[i - 1].Priority == order[i].Priority && order[i - 1].CreatedAt <= order[i].CreatedAt));
            }
        }, iter: 500);
    }

    [Fact]
    public void Equal_priorities_run_first_in_first_out()
    {
        var a = new QueuedJob("ftjob-b", 1, T0);
        var b = new QueuedJob("ftjob-a", 1, T0.AddSeconds(1));
        var c = new QueuedJob("ftjob-c", 5, T0.AddSeconds(2));
        Assert.Equal(["ftjob-c", "ftjob-b", "ftjob-a"], JobQueuePolicy.Order([b, a, c]).Select(j => j.JobId));

        // Same clock tick: the store's creation sequence decides, not the (random) id.
        var first = new QueuedJob("ftjob-z", 1, T0, Sequence: 7);
        var second = new QueuedJob("ftjob-a", 1, T0, Sequence: 9);
        Assert.Equal(["ftjob-z", "ftjob-a"], JobQueuePolicy.Order([second, first]).Select(j => j.JobId));
    }
}
