namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Compiled grammars by source (GBNF text, schema JSON, regex), least recently used evicted first. Thread-safe;
/// a key is compiled once even under concurrent requests (the first caller compiles, the others wait on it), and
/// a <see cref="GrammarException"/> is remembered too so a bad schema repeated in a loop costs one compilation.
/// </summary>
public sealed class GrammarCache
{
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<(string Key, Lazy<Grammar> Value)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, Lazy<Grammar> Value)> _lru = new();
    private readonly Lock _gate = new();

    public GrammarCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>The process-wide cache the <see cref="Grammar"/> factories use.</summary>
    public static GrammarCache Shared { get; } = new(256);

    /// <summary>Compilations performed (misses), for tests and metrics.</summary>
    public long Compilations => Interlocked.Read(ref _compilations);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }

    private long _compilations;

    public Grammar GetOrAdd(string key, Func<Grammar> compile)
    {
        Lazy<Grammar> lazy;
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                lazy = node.Value.Value;
            }
            else
            {
                lazy = new Lazy<Grammar>(() =>
                {
                    Interlocked.Increment(ref _compilations);
                    return compile();
                }, LazyThreadSafetyMode.ExecutionAndPublication);
                _map[key] = _lru.AddFirst((key, lazy));
                while (_map.Count > _capacity)
                {
                    var last = _lru.Last!;
                    _lru.RemoveLast();
                    _map.Remove(last.Value.Key);
                }
            }
        }

        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is not GrammarException)
        {
            // Only a verdict on the source is worth remembering; anything else (out of memory, a bug) is retried.
            lock (_gate)
            {
                if (_map.TryGetValue(key, out var node) && ReferenceEquals(node.Value.Value, lazy))
                {
                    _lru.Remove(node);
                    _map.Remove(key);
                }
            }

            throw;
        }
    }
}
