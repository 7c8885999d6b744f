namespace CyLlm.Gateway.RateLimits;

/// <summary>The shared rate-limit store (Redis) could not answer; the limiter fails open or closed by configuration.</summary>
public sealed class RateLimitStoreException(string message, Exception? inner = null) : Exception(message, inner);
