using CyLlm.Gateway.Disaggregation;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>Prefix-affinity routing: the same prefix goes to the same workers, prefixes spread, a busy worker spills
/// over, and removing a worker moves only its own prefixes (rendezvous hashing).</summary>
public sealed class WorkerPickerTests
{
    private static string[] Urls(int n) => [.. Enumerable.Range(0, n).Select(i => $"http://10.0.0.{i + 1}:8080")];

    private static int[] Prompt(int seed, int length = 300) =>
        [.. Enumerable.Range(0, length).Select(i => (int)((uint)(seed * 7919 + i * 104729) % 32000))];

    [Fact]
    public void The_same_prefix_goes_to_the_same_workers_and_the_tail_does_not_matter()
    {
        var picker = new WorkerPicker(Urls(4), Urls(3));
        int[] a = Prompt(1);
        int[] b = [.. a[..WorkerPicker.AffinityTokens], .. Prompt(2)[..40]]; // same first 256 tokens, another question
        using var first = picker.Pick(a);
        var (p, d) = (first.PrefillIndex, first.DecodeIndex);
        first.Dispose();
        using var second = picker.Pick(b);
        Assert.Equal((p, d), (second.PrefillIndex, second.DecodeIndex));
    }

    [Fact]
    public void Prefixes_spread_over_the_workers()
    {
        var picker = new WorkerPicker(Urls(4), Urls(4));
        var counts = new int[4];
        for (int i = 0; i < 400; i++)
        {
            using var lease = picker.Pick(Prompt(i));
            counts[lease.PrefillIndex]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 60, 140)); // 100 expected each
    }

    [Fact]
    public void A_busy_preferred_worker_spills_over_and_takes_requests_again_when_they_end()
    {
        var picker = new WorkerPicker(Urls(2), Urls(2));
        int[] hot = Prompt(5);
        var held = new List<WorkerPicker.Lease>();
        for (int i = 0; i <= WorkerPicker.SpillOver; i++)
        {
            held.Add(picker.Pick(hot));
        }

        int preferred = held[0].PrefillIndex;
        Assert.All(held, l => Assert.Equal(preferred, l.PrefillIndex));
        using (var spilled = picker.Pick(hot))
        {
            Assert.NotEqual(preferred, spilled.PrefillIndex);
        }

        held.ForEach(l => l.Dispose());
        Assert.Equal(0, picker.PrefillLoad(preferred));
        using var back = picker.Pick(hot);
        Assert.Equal(preferred, back.PrefillIndex);
    }

    [Fact]
    public void Removing_a_worker_moves_only_its_prefixes()
    {
        var four = new WorkerPicker(Urls(4), Urls(1));
        var three = new WorkerPicker(Urls(4)[..3], Urls(1));
        int moved = 0;
        for (int i = 0; i < 200; i++)
        {
            using var before = four.Pick(Prompt(i));
            using var after = three.Pick(Prompt(i));
            if (before.PrefillIndex != 3)
            {
                Assert.Equal(before.PrefillIndex, after.PrefillIndex);
            }
            else
            {
                moved++;
            }
        }

        Assert.InRange(moved, 20, 80); // about a quarter lived on the removed worker
    }

    [Fact]
    public void A_worker_marked_down_is_skipped_for_the_back_off_then_picked_again()
    {
        var clock = new CyLlm.Gateway.Tests.Infrastructure.ManualTimeProvider();
        var picker = new WorkerPicker(Urls(2), Urls(2), clock);
        int[] prompt = Prompt(5);
        int preferredPrefill, preferredDecode;
        using (var first = picker.Pick(prompt))
        {
            (preferredPrefill, preferredDecode) = (first.PrefillIndex, first.DecodeIndex);
        }

        picker.MarkDown(Urls(2)[preferredPrefill]);
        picker.MarkDown(Urls(2)[preferredDecode] + "/");
        Assert.True(picker.IsDown(Urls(2)[preferredDecode]));
        for (int i = 0; i < 20; i++)
        {
            using var lease = picker.Pick(prompt);
            Assert.Equal(1 - preferredPrefill, lease.PrefillIndex);
            Assert.Equal(1 - preferredDecode, lease.DecodeIndex);
        }

        clock.Advance(WorkerPicker.DownFor);
        using var back = picker.Pick(prompt);
        Assert.Equal((preferredPrefill, preferredDecode), (back.PrefillIndex, back.DecodeIndex));
    }

    [Fact]
    public void When_every_worker_of_a_kind_is_down_the_marks_are_ignored()
    {
        var picker = new WorkerPicker(Urls(2), Urls(1), new CyLlm.Gateway.Tests.Infrastructure.ManualTimeProvider());
        foreach (string url in Urls(2))
        {
            picker.MarkDown(url);
        }

        // Some worker must be tried (one may be back); the prompt's own preference decides as without marks.
        var fresh = new WorkerPicker(Urls(2), Urls(1));
        using var expected = fresh.Pick(Prompt(9));
        using var lease = picker.Pick(Prompt(9));
        Assert.Equal(expected.PrefillIndex, lease.PrefillIndex);
        Assert.Equal(0, lease.DecodeIndex);
    }
}
