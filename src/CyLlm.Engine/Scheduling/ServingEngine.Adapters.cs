using CyLlm.Engine.Lora;

namespace CyLlm.Engine.Scheduling;

public sealed partial class ServingEngine
{
    private readonly Dictionary<string, AdapterEntry> _adapters = new(StringComparer.Ordinal);
    private readonly Lock _adapterLock = new();
    private int _nextAdapterId;
    private long _adapterClock;

    /// <summary>Names of the loaded adapters.</summary>
    public IReadOnlyList<string> AdapterNames
    {
        get
        {
            lock (_adapterLock)
            {
                return _adapters.Keys.Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>
    /// Loads a PEFT folder or GGUF LoRA under <paramref name="name"/> without touching the base model. Beyond
    /// <see cref="ServingOptions.MaxCpuLoras"/>, the least recently used idle adapter is unloaded.
    /// </summary>
    public void LoadAdapter(string name, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var adapter = LoraAdapter.Load(name, path, _engine.Config);
        lock (_adapterLock)
        {
            if (_adapters.ContainsKey(name))
            {
                throw new ArgumentException($"an adapter named '{name}' is already loaded; unload it first");
            }

            while (_adapters.Count >= _options.MaxCpuLoras)
            {
                var idle = _adapters.Where(kv => kv.Value.InUse == 0).OrderBy(kv => kv.Value.LastUsed).Select(kv => kv.Key).FirstOrDefault();
                if (idle is null)
                {
                    throw new InvalidOperationException($"{_options.MaxCpuLoras} adapters are loaded and all are in use; unload one or raise max_cpu_loras");
                }

                _adapters.Remove(idle);
            }

            _adapters[name] = new AdapterEntry(adapter, ++_nextAdapterId) { LastUsed = ++_adapterClock };
        }
    }

    /// <summary>Unloads an adapter once the requests using it have finished (new requests are refused at once).</summary>
    public Task UnloadAdapterAsync(string name)
    {
        lock (_adapterLock)
        {
            if (!_adapters.TryGetValue(name, out var e))
            {
                throw new AdapterNotFoundException(name);
            }

            e.Unloading = true;
            if (e.InUse == 0)
            {
                _adapters.Remove(name);
                e.Drained.TrySetResult();
            }

            return e.Drained.Task;
        }
    }

    private AdapterEntry? Acquire(string? name)
    {
        if (name is null)
        {
            return null;
        }

        lock (_adapterLock)
        {
            if (!_adapters.TryGetValue(name, out var e) || e.Unloading)
            {
                throw new AdapterNotFoundException(name);
            }

            e.InUse++;
            e.LastUsed = ++_adapterClock;
            return e;
        }
    }

    private void ReleaseAdapter(SequenceState s)
    {
        if (s.Adapter is not { } e)
        {
            return;
        }

        lock (_adapterLock)
        {
            if (--e.InUse == 0 && e.Unloading)
            {
                _adapters.Remove(e.Adapter.Name);
                e.Drained.TrySetResult();
            }
        }
    }
}
