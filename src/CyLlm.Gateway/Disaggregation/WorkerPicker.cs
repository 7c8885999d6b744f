using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// Chooses the prefill and the decode worker of a request by prefix affinity, with load as the limit (the
/// prefix-aware routing of vLLM's production stack and llm-d): a prompt's leading tokens are hashed with each worker's
/// URL (rendezvous hashing), so the same prefix goes to the same workers — whose prefix caches hold it — and adding or
/// removing a worker moves only its share. A preferred worker that already has <see cref="SpillOver"/> more requests in
/// flight than the least busy one gives way to the next in its order, so one hot prefix cannot pile up on one worker.
/// The hashing and the load limit are <see cref="PrefixAffinity"/>'s, which the engine-worker pool uses too.
/// A worker marked down (<see cref="MarkDown"/>: its connection was refused) is left out for <see cref="DownFor"/>
/// unless every worker of its kind is down.
/// </summary>
public sealed class WorkerPicker
{
    /// <summary>Tokens of the prompt that decide affinity: a prefix-cache block's worth and more (system prompts, few-shot headers).</summary>
    public const int AffinityTokens = PrefixAffinity.AffinityTokens;

    /// <summary>In-flight requests a preferred worker may have beyond the least busy before the next one takes the request.</summary>
    public const int SpillOver = PrefixAffinity.SpillOver;

    private readonly string[] _prefill;
    private readonly string[] _decode;
    private readonly ulong[] _prefillSalt;
    private readonly ulong[] _decodeSalt;
    private readonly int[] _prefillLoad;
    private readonly int[] _decodeLoad;
    private readonly long[] _prefillDownUntil;
    private readonly long[] _decodeDownUntil;
    private readonly TimeProvider _time;

    /// <summary>How long a worker whose connection was refused is skipped: long enough that a dead worker costs one
    /// refused connect per period, short enough that a restarted one gets traffic again soon.</summary>
    public static readonly TimeSpan DownFor = TimeSpan.FromSeconds(5);

    public WorkerPicker(IReadOnlyList<string> prefillWorkers, IReadOnlyList<string> decodeWorkers, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _prefill = [.. prefillWorkers.Select(u => u.TrimEnd('/'))];
        _decode = [.. decodeWorkers.Select(u => u.TrimEnd('/'))];
        _prefillSalt = [.. _prefill.Select(PrefixAffinity.SaltOf)];
        _decodeSalt = [.. _decode.Select(PrefixAffinity.SaltOf)];
        _prefillLoad = new int[_prefill.Length];
        _decodeLoad = new int[_decode.Length];
        _prefillDownUntil = new long[_prefill.Length];
        _decodeDownUntil = new long[_decode.Length];
    }

    /// <summary>The workers for <paramref name="prompt"/>; dispose the lease when the request ends (it counts the load).</summary>
    public Lease Pick(ReadOnlySpan<int> prompt)
    {
        ulong key = PrefixAffinity.KeyOf(prompt);
        long now = _time.GetUtcNow().UtcTicks; // wall time: a clock step only lengthens or shortens one back-off
        int p = Choose(key, _prefillSalt, _prefillLoad, Up(_prefillDownUntil, now));
        int d = Choose(key, _decodeSalt, _decodeLoad, Up(_decodeDownUntil, now));
        Interlocked.Increment(ref _prefillLoad[p]);
        Interlocked.Increment(ref _decodeLoad[d]);
        return new Lease(this, p, d);
    }

    /// <summary>Leaves the worker at <paramref name="url"/> (prefill or decode) out of picks for <see cref="DownFor"/>.</summary>
    public void MarkDown(string url)
    {
        long until = _time.GetUtcNow().UtcTicks + DownFor.Ticks;
        string u = url.TrimEnd('/');
        for (int i = 0; i < _prefill.Length; i++)
        {
            if (_prefill[i] == u)
            {
                Volatile.Write(ref _prefillDownUntil[i], until);
            }
        }

        for (int i = 0; i < _decode.Length; i++)
        {
            if (_decode[i] == u)
            {
                Volatile.Write(ref _decodeDownUntil[i], until);
            }
        }
    }

    /// <summary>Whether <paramref name="url"/> is marked down now.</summary>
    public bool IsDown(string url)
    {
        long now = _time.GetUtcNow().UtcTicks; // wall time: a clock step only lengthens or shortens one back-off
        string u = url.TrimEnd('/');
        int p = Array.IndexOf(_prefill, u);
        int d = Array.IndexOf(_decode, u);
        return (p >= 0 && Volatile.Read(ref _prefillDownUntil[p]) > now) || (d >= 0 && Volatile.Read(ref _decodeDownUntil[d]) > now);
    }

    /// <summary>Which workers may be picked now: those not marked down, or all of them when every one is (one may be back).</summary>
    private static bool[] Up(long[] downUntil, long now)
    {
        var up = new bool[downUntil.Length];
        bool any = false;
        for (int i = 0; i < up.Length; i++)
        {
            up[i] = Volatile.Read(ref downUntil[i]) <= now;
            any |= up[i];
        }

        if (!any)
        {
            Array.Fill(up, true);
        }

        return up;
    }

    /// <summary>Requests in flight on each prefill worker (tests, /status).</summary>
    public int PrefillLoad(int worker) => Volatile.Read(ref _prefillLoad[worker]);

    /// <summary>The highest-scoring worker for <paramref name="key"/> whose load is within <see cref="SpillOver"/> of the least.</summary>
    private static int Choose(ulong key, ulong[] salts, int[] load, bool[] up)
    {
        Span<int> now = stackalloc int[load.Length];
        for (int i = 0; i < load.Length; i++)
        {
            now[i] = Volatile.Read(ref load[i]);
        }

        return PrefixAffinity.Choose(key, salts, now, i => up[i]);
    }

    /// <summary>One request's workers; disposing it releases their load.</summary>
    public readonly struct Lease(WorkerPicker picker, int prefill, int decode) : IDisposable
    {
        public string PrefillUrl => picker._prefill[prefill];

        public string DecodeUrl => picker._decode[decode];

        public int PrefillIndex => prefill;

        public int DecodeIndex => decode;

        public void Dispose()
        {
            Interlocked.Decrement(ref picker._prefillLoad[prefill]);
            Interlocked.Decrement(ref picker._decodeLoad[decode]);
        }
    }
}
