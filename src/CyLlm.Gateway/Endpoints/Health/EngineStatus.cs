namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>Generation queue: requests waiting for the engine, the queue's capacity, and whether continuous batching is on.</summary>
public sealed record EngineStatus(int QueueWaiting, int QueueCapacity, bool ContinuousBatching);
