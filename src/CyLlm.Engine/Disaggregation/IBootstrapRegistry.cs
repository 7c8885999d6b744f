namespace CyLlm.Engine.Disaggregation;

/// <summary>Where prefill and decode workers meet: the prefill side registers the room with its KV address, the decode side looks it up.</summary>
public interface IBootstrapRegistry
{
    Task RegisterAsync(RoomId room, KvEndpoint prefill, CancellationToken cancellationToken);

    /// <summary>The prefill worker's KV address for <paramref name="room"/>, or null while it is not registered.</summary>
    Task<KvEndpoint?> LookupAsync(RoomId room, CancellationToken cancellationToken);

    Task UnregisterAsync(RoomId room, CancellationToken cancellationToken);
}
