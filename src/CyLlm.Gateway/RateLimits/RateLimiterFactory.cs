using CyLlm.Gateway.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.RateLimits;

/// <summary>Builds the limiter over the configured store: Redis when --redis is set, else in-process.</summary>
public static class RateLimiterFactory
{
    public static RateLimiter Create(GatewayOptions options, IServiceProvider services)
    {
        var o = options.RateLimits;
        IRateLimitStore store = o.Redis is { } redis
            ? RedisRateLimitStore.Connect(redis, options.Time, o.Window)
            : new InMemoryRateLimitStore(options.Time, o.Window);
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.RateLimits");
        return new RateLimiter(o, store, services.GetRequiredService<GatewayMetrics>(), log);
    }
}
