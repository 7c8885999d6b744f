using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// The admission and priority decisions of continuous batching, apart from the model so they can be tested alone.
/// Each <see cref="Plan"/> fills a token budget: first one decode token (or the next prefill chunk) per running
/// sequence, best priority first; then waiting sequences in strict priority order (FCFS within a priority) while
/// running slots, budget and KV blocks last. The waiting head blocks the ones behind it: a worse-priority request never
/// starts before a better one. When blocks run out, running sequences of worse priority (latest arrival first) are
/// preempted: their blocks return to the pool and they wait again, to be recomputed.
/// </summary>
internal sealed class Scheduler<T>(BlockPool pool, int blockTokens, int maxRunning, int tokenBudget, ISchedulerHooks<T> hooks)
    where T : class, ISchedulable
{
    /// <summary>Priority first (lower runs first, as vLLM), then arrival.</summary>
    public static readonly Comparison<T> ByPriority = (a, b) =>
    {
        int c = a.Priority.CompareTo(b.Priority);
        return c != 0 ? c : a.Arrival.CompareTo(b.Arrival);
    };

    private static readonly IComparer<T> Order = Comparer<T>.Create(ByPriority);

    public BlockPool Pool { get; } = pool;

    public List<T> Waiting { get; } = [];

    public List<T> Running { get; } = [];

    /// <summary>The last plan: each sequence of the step with its token count.</summary>
    public List<(T Seq, int Count)> Batch { get; } = [];

    /// <summary>Plans one step into <see cref="Batch"/>; empty when nothing can run now.</summary>
    public void Plan()
    {
        Batch.Clear();
        int budget = tokenBudget;
        Running.Sort(ByPriority);
        for (int i = 0; i < Running.Count && budget > 0; i++)
        {
            var s = Running[i];
            if (!s.Running)
            {
                continue; // preempted earlier in this step
            }

            if (!hooks.CanJoin(s))
            {
                continue;
            }

            int n = Math.Min(s.TokenCount - s.Computed, budget);
            if (!EnsureBlocks(s, s.Computed + n) && !(PreemptFor(s) && EnsureBlocks(s, s.Computed + n)))
            {
                continue;
            }

            hooks.Joined(s);
            Batch.Add((s, n));
            budget -= n;
        }

        Running.RemoveAll(s => !s.Running);

        Waiting.Sort(ByPriority);
        while (budget > 0 && Running.Count < maxRunning && Waiting.Count > 0)
        {
            var s = Waiting[0];
            if (!hooks.CanJoin(s))
            {
                break; // max_loras distinct adapters already in this batch
            }

            bool fresh = s.Computed == 0 && s.Blocks.Count == 0;
            if (fresh)
            {
                hooks.AttachCachedPrefix(s);
            }

            int had = fresh ? 0 : s.Blocks.Count; // blocks it came with (imported KV) stay with it
            int n = Math.Min(s.TokenCount - s.Computed, budget);
            bool fits = EnsureBlocks(s, s.Computed + n);
            if (!fits && PreemptFor(s))
            {
                // The victims wait again: drop them from the running list now, or one admitted again later in this
                // very step would be listed twice (and the running-slot count would include them).
                Running.RemoveAll(r => !r.Running);
                fits = EnsureBlocks(s, s.Computed + n);
            }

            if (!fits)
            {
                // Not enough memory even after preemption: wait for running work to finish. Give back what this attempt
                // took (a fresh one's cached prefix too): a waiting sequence holding blocks that the running ones need
                // would stall them all, since only running sequences can be preempted.
                while (s.Blocks.Count > had)
                {
                    Pool.Release(s.Blocks[^1]);
                    s.Blocks.RemoveAt(s.Blocks.Count - 1);
                }

                if (fresh)
                {
                    s.Computed = 0;
                    hooks.Deferred(s);
                }

                break;
            }

            Waiting.RemoveAt(0);
            s.Running = true;
            hooks.Admitted(s);
            Running.Add(s);
            hooks.Joined(s);
            Batch.Add((s, n));
            budget -= n;
        }

        // Sequences preempted while admitting are waiting again: the running list holds only running ones.
        Running.RemoveAll(s => !s.Running);
    }

    /// <summary>Returns every block of <paramref name="s"/> to the pool.</summary>
    public void ReleaseBlocks(T s)
    {
        foreach (var b in s.Blocks)
        {
            Pool.Release(b);
        }

        s.Blocks.Clear();
    }

    /// <summary>Makes sure <paramref name="s"/> has blocks for its first <paramref name="tokens"/> positions.</summary>
    private bool EnsureBlocks(T s, int tokens)
    {
        int need = (tokens + blockTokens - 1) / blockTokens;
        while (s.Blocks.Count < need)
        {
            var b = Pool.Allocate();
            if (b is null)
            {
                return false;
            }

            s.Blocks.Add(b.Value);
        }

        return true;
    }

    /// <summary>
    /// Frees blocks for <paramref name="s"/> by preempting running sequences of worse priority (higher value),
    /// latest arrival first. Returns whether anything was preempted.
    /// </summary>
    private bool PreemptFor(T s)
    {
        bool any = false;
        while (Pool.Free == 0)
        {
            T? victim = null;
            foreach (var r in Running)
            {
                if (r != s && r.Running && ByPriority(r, s) > 0 && (victim is null || ByPriority(r, victim) > 0))
                {
                    victim = r;
                }
            }

            if (victim is null)
            {
                return any;
            }

            Preempt(victim);
            any = true;
        }

        return any;
    }

    private void Preempt(T v)
    {
        // Recompute later: drop its KV (full blocks stay in the prefix cache) and requeue it with its
        // generated tokens as part of the prompt to recompute.
        for (int i = Batch.Count - 1; i >= 0; i--)
        {
            if (Batch[i].Seq == v)
            {
                Batch.RemoveAt(i);
            }
        }

        ReleaseBlocks(v);
        v.Computed = 0;
        v.Running = false;

        // In its place by priority, not at the end: while admitting, the queue is already sorted, and a victim put
        // last would be overtaken in this very step by waiting requests of worse priority.
        int at = Waiting.BinarySearch(v, Order);
        Waiting.Insert(at < 0 ? ~at : at, v);
        hooks.Preempted(v);
    }
}
