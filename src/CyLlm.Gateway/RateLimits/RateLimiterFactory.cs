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
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.RateLimits");
        IRateLimitStore store;
        if (o.Redis is { } redis)
        {
            // The address may carry a password: only its redacted form is logged.
            log.LogInformation("rate-limit counters in Redis at {Redis}", RedisAddress.Redacted(redis));
            store = RedisRateLimitStore.Connect(redis, options.Time, o.Window);
        }
        else
        {
            store = new InMemoryRateLimitStore(options.Time, o.Window);
        }

        return new RateLimiter(o, store, services.GetRequiredService<GatewayMetrics>(), log);
    }
}
