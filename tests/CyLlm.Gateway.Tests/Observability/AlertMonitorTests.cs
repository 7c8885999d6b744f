using CsCheck;
using CyLlm.Gateway.Observability;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Observability;

/// <summary>Alerts fire once per excursion: hovering at the threshold or dipping into the hysteresis band is
/// the same excursion; only a fall to the clear level re-arms.</summary>
public sealed class AlertMonitorTests
{
    private const double Fire = 0.9, Clear = 0.7;

    /// <summary>One excursion: band noise (below the fire level, above clear), a peak at or above the fire level,
    /// values above the clear level (they may cross the fire level again), then a recovery at or below clear.</summary>
    private static readonly Gen<double[]> Excursion =
        Gen.Select(Gen.Double[Clear + 0.001, Fire - 0.001].Array[0, 4], Gen.Double[Fire, 2.0], Gen.Double[Clear + 0.001, 2.0].Array[0, 6], Gen.Double[0, Clear])
            .Select((band, peak, hover, recovery) => band.Append(peak).Concat(hover).Append(recovery).ToArray());

    [Fact]
    public void The_count_is_the_number_of_excursions()
    {
        Gen.Select(Excursion.Array[0, 12], Gen.Double[0, Fire - 0.001].Array[0, 5], Gen.Bool).Sample((excursions, lead, endFiring) =>
        {
            var fired = new List<double>();
            var time = new ManualTimeProvider();
            var monitor = new AlertMonitor([new AlertRule("x", Fire, Clear)], time, (_, v) => fired.Add(v));
            foreach (double v in lead.Concat(excursions.SelectMany(e => e)))
            {
                monitor.Observe("x", v);
                time.Advance(TimeSpan.FromSeconds(5));
            }

            int expected = excursions.Length;
            if (endFiring)
            {
                // One more excursion that has not recovered yet: it counts once.
                monitor.Observe("x", Fire);
                monitor.Observe("x", Fire + 1);
                expected++;
            }

            return monitor.Fired("x") == expected && fired.Count == expected && monitor.IsFiring("x") == endFiring && fired.All(v => v >= Fire);
        }, iter: 500);
    }

    [Fact]
    public void With_a_hold_time_a_short_spike_does_not_fire_and_a_sustained_one_fires_once()
    {
        var time = new ManualTimeProvider();
        var monitor = new AlertMonitor([new AlertRule("q", Fire, Clear, TimeSpan.FromSeconds(30))], time);
        monitor.Observe("q", 1.0);
        time.Advance(TimeSpan.FromSeconds(10));
        monitor.Observe("q", 0.5);
        Assert.Equal(0, monitor.Fired("q"));
        monitor.Observe("q", 1.0);
        time.Advance(TimeSpan.FromSeconds(29));
        monitor.Observe("q", 1.0);
        Assert.Equal(0, monitor.Fired("q"));
        time.Advance(TimeSpan.FromSeconds(1));
        monitor.Observe("q", 1.0);
        monitor.Observe("q", 1.0);
        Assert.Equal(1, monitor.Fired("q"));
        monitor.Observe("q", double.NaN);
        Assert.True(monitor.IsFiring("q"));
    }

    [Fact]
    public async Task The_gateway_counts_queue_depth_alerts_in_cyllm_alerts_total()
    {
        var fake = new FakeBackend { MaxWaiting = 2 };
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { Alerts = new AlertOptions { Interval = TimeSpan.FromHours(1) } });
        var running = server.PostJsonAsync("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":1}");
        Assert.True(await fake.StartedSignal.WaitAsync(TimeSpan.FromSeconds(10)));
        var queued = new[] { server.PostJsonAsync("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":1}"), server.PostJsonAsync("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":1}") };
        var alerts = server.App.App.Services.GetService(typeof(AlertService)) as AlertService;
        Assert.NotNull(alerts);
        for (int i = 0; i < 200 && server.App.State.Model.Backend!.Waiting < 2; i++)
        {
            await Task.Delay(10);
        }

        alerts.Sample();
        alerts.Sample();
        fake.Gate.Set();
        (await running).Dispose();
        foreach (var q in queued)
        {
            (await q).Dispose();
        }

        string m = await server.Http.GetStringAsync("/metrics");
        Assert.Matches("cyllm_alerts_total\\{[^}]*alert=\"queue_depth\"[^}]*\\} [1-9]", m);
    }
}
