using CyLlm.Engine.Disaggregation;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>Heartbeat liveness and failed-peer memory with explicit timestamps (no clock, no sleeps).</summary>
public sealed class HeartbeatTests
{
    [Fact]
    public void A_peer_is_dead_only_after_more_than_the_missed_beat_limit()
    {
        var m = new HeartbeatMonitor<string>(intervalTicks: 50, missedLimit: 3);
        m.Heard("a", 0);
        m.Heard("b", 0);
        Assert.Empty(m.TakeDead(150));   // exactly 3 intervals: not yet
        m.Heard("b", 140);
        Assert.Equal(["a"], m.TakeDead(151));
        Assert.Empty(m.TakeDead(152));   // reported once
        Assert.Empty(m.TakeDead(200));
        Assert.Empty(m.TakeDead(250));
        Assert.Equal(["b"], m.TakeDead(291));
    }

    [Fact]
    public void A_stall_of_this_process_is_not_held_against_peers()
    {
        var m = new HeartbeatMonitor<string>(intervalTicks: 50, missedLimit: 3);
        m.Heard("a", 0);
        Assert.Empty(m.TakeDead(50));
        // Our own checks stopped for 1,000 ticks (we were not scheduled): the peer is credited the stall ...
        Assert.Empty(m.TakeDead(1050));
        // ... but a peer that stays silent afterwards still dies within the limit.
        Assert.Empty(m.TakeDead(1100));
        Assert.Equal(["a"], m.TakeDead(1150));
    }

    [Fact]
    public void A_failed_peer_is_failed_fast_for_the_memory_window()
    {
        var f = new FailedPeers(rememberTicks: 1000);
        var p = new KvEndpoint("h", 1);
        Assert.False(f.IsFailed(p, 0));
        f.Remember(p, 10);
        Assert.True(f.IsFailed(p, 500));
        Assert.False(f.IsFailed(p, 1010));
    }

    [Fact]
    public void Repeated_init_and_resume_are_ignored_and_counted()
    {
        var p = new PrefillRoom(new RoomId(1), kvTokens: 40, now: 0);
        Assert.True(p.OnInit(40, 16, 1));
        Assert.False(p.OnInit(40, 16, 2));
        p.OnKvReady(3);
        Assert.True(p.TryNextChunk(1000, 4, out int s, out int c, out bool last));
        Assert.Equal((0, 16, false), (s, c, last));
        Assert.Equal(RoomState.Transferring, p.State);
        Assert.False(p.TryNextChunk(1000, 5, out _, out _, out _)); // waits for Resume
        Assert.True(p.OnResume(16, 32, 6));
        Assert.False(p.OnResume(16, 32, 7)); // the same Resume again, before the chunk left
        Assert.True(p.TryNextChunk(1000, 8, out s, out c, out last));
        Assert.Equal((16, 24, true), (s, c, last));
        Assert.False(p.OnResume(16, 32, 9)); // and after
        Assert.Equal(RoomState.Success, p.State);
        Assert.Equal(3, p.DuplicatesIgnored);
        Assert.False(p.Fail(TransferFailure.HeartbeatTimeout, 10)); // terminal: no second end
        Assert.Equal(1, p.TerminalTransitions);
    }
}
