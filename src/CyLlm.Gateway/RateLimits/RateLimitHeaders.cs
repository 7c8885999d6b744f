using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.RateLimits;

/// <summary>OpenAI's rate-limit response headers: x-ratelimit-{limit,remaining,reset}-{requests,tokens},
/// plus Retry-After (whole seconds, rounded up) and retry-after-ms on a 429.</summary>
public static class RateLimitHeaders
{
    /// <summary>Sets the three headers of <paramref name="kind"/> ("requests" or "tokens") from the tightest bucket.</summary>
    public static void Set(HttpResponse response, string kind, RateLimitBucketState tightest)
    {
        if (!response.HasStarted)
        {
            foreach (var (name, value) in For(kind, tightest))
            {
                response.Headers[name] = value;
            }
        }
    }

    /// <summary>The three headers of <paramref name="kind"/> ("requests" or "tokens").</summary>
    public static Dictionary<string, string> For(string kind, RateLimitBucketState tightest) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["x-ratelimit-limit-" + kind] = tightest.Limit.ToString(CultureInfo.InvariantCulture),
        ["x-ratelimit-remaining-" + kind] = tightest.Remaining.ToString(CultureInfo.InvariantCulture),
        ["x-ratelimit-reset-" + kind] = Duration(tightest.Reset),
    };

    /// <summary>Adds Retry-After (whole seconds, rounded up) and retry-after-ms.</summary>
    public static void AddRetryAfter(Dictionary<string, string> headers, TimeSpan retryAfter)
    {
        long ms = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
        headers["Retry-After"] = ((ms + 999) / 1000).ToString(CultureInfo.InvariantCulture);
        headers["retry-after-ms"] = ms.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>OpenAI's duration text: "250ms", "1.5s", "6m0s".</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.FromSeconds(1))
        {
            return ((long)Math.Ceiling(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        if (t < TimeSpan.FromMinutes(1))
        {
            return t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        }

        return ((long)t.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m" + t.Seconds.ToString(CultureInfo.InvariantCulture) + "s";
    }
}
