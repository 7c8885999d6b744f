using System.Collections.Concurrent;

namespace CyLlm.Engine.Disaggregation;

/// <summary>The registry in one process (tests, and the store behind <see cref="BootstrapServer"/>).</summary>
public sealed class InMemoryBootstrapRegistry : IBootstrapRegistry
{
    private readonly ConcurrentDictionary<RoomId, KvEndpoint> _rooms = new();

    public int Count => _rooms.Count;

    public Task RegisterAsync(RoomId room, KvEndpoint prefill, CancellationToken cancellationToken)
    {
        _rooms[room] = prefill;
        return Task.CompletedTask;
    }

    public Task<KvEndpoint?> LookupAsync(RoomId room, CancellationToken cancellationToken) =>
        Task.FromResult(_rooms.TryGetValue(room, out var e) ? e : (KvEndpoint?)null);

    public Task UnregisterAsync(RoomId room, CancellationToken cancellationToken)
    {
        _rooms.TryRemove(room, out _);
        return Task.CompletedTask;
    }
}
