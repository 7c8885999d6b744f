namespace CyLlm.Jobs.Storage;

/// <summary>A response-cache entry.</summary>
public sealed record CachedResponse(string Key, byte[] Value, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
