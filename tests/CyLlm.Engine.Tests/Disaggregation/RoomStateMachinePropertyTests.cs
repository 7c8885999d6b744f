using CsCheck;
using CyLlm.Engine.Disaggregation;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>The room state machines under random message orders, losses, duplicates, time jumps and peer deaths.</summary>
public sealed class RoomStateMachinePropertyTests
{
    private static readonly Gen<(int Seed, int[] KvTokens, int AllocationBlocks, int MaxChunk, int Steps)> Scenario =
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 200].Array[1, 4], Gen.Int[1, 5], Gen.Int[1, 80], Gen.Int[0, 300]);

    [Fact]
    public void Every_room_ends_in_success_or_failed_never_stuck_never_both()
    {
        Scenario.Sample(s =>
        {
            var sim = new RoomSimulation(s.Seed, s.KvTokens, s.AllocationBlocks, s.MaxChunk);
            for (int i = 0; i < s.Steps; i++)
            {
                sim.Step(faults: true);
            }

            sim.Quiesce();
            for (int r = 0; r < s.KvTokens.Length; r++)
            {
                var d = sim.Decode[r];
                var p = sim.Prefill[r];
                Assert.True(d.IsTerminal, $"decode room {r} stuck in {d.State}");
                Assert.True(p.IsTerminal, $"prefill room {r} stuck in {p.State}");
                Assert.Equal(1, d.TerminalTransitions);
                Assert.Equal(1, p.TerminalTransitions);
                AssertForwardOnly(sim.History[r]);
                Assert.True(sim.WrittenTokens[r] <= d.KvTokens, $"room {r}: {sim.WrittenTokens[r]} tokens written of {d.KvTokens}: something was transferred twice");
                Assert.Equal(d.Received, sim.WrittenTokens[r]);
                if (d.State == RoomState.Success)
                {
                    Assert.Equal(d.KvTokens, d.Received);
                    Assert.Equal(RoomState.Success, p.State); // the decode side only succeeds on the last chunk, which the prefill side sent
                }
            }
        }, iter: 2000);
    }

    [Fact]
    public void Without_losses_duplicates_change_nothing_and_are_counted()
    {
        Scenario.Sample(s =>
        {
            var sim = new RoomSimulation(s.Seed, s.KvTokens, s.AllocationBlocks, s.MaxChunk);
            for (int i = 0; i < s.Steps; i++)
            {
                sim.Step(faults: false);
            }

            sim.Quiesce();
            int ignored = 0;
            for (int r = 0; r < s.KvTokens.Length; r++)
            {
                var d = sim.Decode[r];
                var p = sim.Prefill[r];
                Assert.Equal(RoomState.Success, d.State);
                Assert.Equal(RoomState.Success, p.State);
                Assert.Equal(d.KvTokens, d.Received);
                Assert.Equal(d.KvTokens, sim.WrittenTokens[r]);
                Assert.Equal(p.Chunks, d.Chunks);
                Assert.Equal(d.Resumes, p.Resumes);
                int expectedResumes = Math.Max(0, ((d.KvTokens + (s.AllocationBlocks * 16) - 1) / (s.AllocationBlocks * 16)) - 1);
                Assert.Equal(expectedResumes, d.Resumes);
                ignored += d.DuplicatesIgnored + p.DuplicatesIgnored;
            }

            Assert.Equal(sim.DuplicatesInjected, ignored);
        }, iter: 2000);
    }

    private static void AssertForwardOnly(List<(RoomState Decode, RoomState Prefill)> history)
    {
        for (int i = 1; i < history.Count; i++)
        {
            Assert.True(history[i].Decode >= history[i - 1].Decode, $"decode moved back {history[i - 1].Decode} -> {history[i].Decode}");
            Assert.True(history[i].Prefill >= history[i - 1].Prefill, $"prefill moved back {history[i - 1].Prefill} -> {history[i].Prefill}");
        }
    }
}
