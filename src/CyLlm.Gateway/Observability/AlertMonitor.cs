using System.Diagnostics;

namespace CyLlm.Gateway.Observability;

/// <summary>
/// Pure alert state machine driven by samples and a <see cref="TimeProvider"/>: per rule it tracks armed → pending
/// (above the threshold, waiting out <see cref="AlertRule.For"/>) → firing → (at or below the clear level) armed.
/// Each transition into firing counts one excursion and calls <c>onFire</c>; recovery calls <c>onRecover</c>.
/// Not thread-safe: one timer feeds it.
/// </summary>
public sealed class AlertMonitor
{
    private readonly Dictionary<string, RuleState> _rules = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Action<AlertRule, double>? _onFire;
    private readonly Action<AlertRule, double>? _onRecover;

    public AlertMonitor(IEnumerable<AlertRule> rules, TimeProvider time, Action<AlertRule, double>? onFire = null, Action<AlertRule, double>? onRecover = null)
    {
        foreach (var r in rules)
        {
            Debug.Assert(r.ClearAt <= r.FireAt, "the clear level is at or below the fire level");
            _rules[r.Name] = new RuleState(r);
        }

        _time = time;
        _onFire = onFire;
        _onRecover = onRecover;
    }

    /// <summary>Excursions of <paramref name="name"/> so far.</summary>
    public int Fired(string name) => _rules[name].Count;

    public bool IsFiring(string name) => _rules[name].Firing;

    /// <summary>Feeds one sample of <paramref name="name"/>; NaN samples (no data) change nothing.</summary>
    public void Observe(string name, double value)
    {
        if (double.IsNaN(value) || !_rules.TryGetValue(name, out var s))
        {
            return;
        }

        var now = _time.GetUtcNow();
        var rule = s.Rule;
        if (s.Firing)
        {
            if (value <= rule.ClearAt)
            {
                s.Firing = false;
                s.AboveSince = null;
                _onRecover?.Invoke(rule, value);
            }

            return;
        }

        if (value < rule.FireAt)
        {
            s.AboveSince = null;
            return;
        }

        s.AboveSince ??= now;
        if (now - s.AboveSince.Value >= rule.For)
        {
            s.Firing = true;
            s.Count++;
            _onFire?.Invoke(rule, value);
        }
    }

    private sealed class RuleState(AlertRule rule)
    {
        public AlertRule Rule { get; } = rule;

        public bool Firing { get; set; }

        public int Count { get; set; }

        /// <summary>When the samples first reached the threshold in the current pending period.</summary>
        public DateTimeOffset? AboveSince { get; set; }
    }
}
