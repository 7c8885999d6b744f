using System.Diagnostics;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// Applies <see cref="RateLimitOptions"/> to requests: one request per /v1 call (middleware) and the token estimate
/// per generation (the runner), each per key and per tenant in one atomic store step. Sets OpenAI's x-ratelimit
/// headers on every limited response; refuses with 429 rate_limit_exceeded plus Retry-After. A store failure
/// never becomes a 500: fail-open admits (error log + cyllm_ratelimit_store_errors_total), fail-closed answers 503.
/// </summary>
public sealed class RateLimiter : IAsyncDisposable
{
    private readonly RateLimitOptions _options;
    private readonly IRateLimitStore _store;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _log;

    public RateLimiter(RateLimitOptions options, IRateLimitStore store, GatewayMetrics metrics, ILogger log)
    {
        _options = options;
        _store = store;
        _metrics = metrics;
        _log = log;
        Enabled = options.Enabled;
    }

    public bool Enabled { get; }

    public IRateLimitStore Store => _store;

    /// <summary>Counts one request for the caller; throws 429 when a request limit is reached.</summary>
    public async ValueTask AdmitRequestAsync(HttpContext ctx)
    {
        if (!Enabled)
        {
            return;
        }

        var (keyRule, tenantRule) = Rules(ctx.GetCaller());
        await CheckAsync(ctx, "requests", 1, keyRule.RequestsPerMinute ?? 0, tenantRule.RequestsPerMinute ?? 0, ":req");
    }

    /// <summary>Reserves <paramref name="estimate"/> tokens; null when no token limit applies (or the store failed open).</summary>
    public async ValueTask<TokenLease?> AdmitTokensAsync(HttpContext ctx, long estimate)
    {
        Debug.Assert(estimate >= 0, "token estimate is non-negative");
        if (!Enabled)
        {
            return null;
        }

        var (keyRule, tenantRule) = Rules(ctx.GetCaller());
        return await CheckAsync(ctx, "tokens", estimate, keyRule.TokensPerMinute ?? 0, tenantRule.TokensPerMinute ?? 0, ":tok");
    }

    /// <summary>Replaces the estimate with the tokens actually used (prompt + generated).</summary>
    public async ValueTask SettleAsync(TokenLease lease, long actual)
    {
        if (actual == lease.Estimate)
        {
            return;
        }

        try
        {
            foreach (string key in lease.BucketKeys)
            {
                await _store.AdjustAsync(key, lease.EntryId, actual);
            }
        }
        catch (RateLimitStoreException e)
        {
            _metrics.RateLimitStoreErrors.Add(1);
            _log.LogError("rate-limit token correction lost: {Error}", e.Message);
        }
    }

    private (RateLimitRule Key, RateLimitRule Tenant) Rules(Caller caller)
    {
        var o = _options;
        RateLimitRule key = o.PerKey;
        if (caller.KeyId is { } id && (o.Keys.TryGetValue(id, out var byId) || (caller.KeyPrefix is { } p && o.Keys.TryGetValue(p, out byId))))
        {
            key = byId.Over(o.PerKey);
        }

        RateLimitRule tenant = o.Tenants.TryGetValue(caller.TenantId, out var t) ? t.Over(o.PerTenant) : o.PerTenant;
        return (key, tenant);
    }

    private async ValueTask<TokenLease?> CheckAsync(HttpContext ctx, string kind, long cost, long keyLimit, long tenantLimit, string suffix)
    {
        var caller = ctx.GetCaller();
        // Anonymous callers (auth off) have no key: only the tenant bucket applies.
        bool keyed = caller.KeyId is not null && keyLimit > 0;
        bool tenanted = tenantLimit > 0;
        if (!keyed && !tenanted)
        {
            return null;
        }

        var buckets = new List<RateLimitBucket>(2);
        if (keyed)
        {
            buckets.Add(new RateLimitBucket("k:" + caller.KeyId + suffix, keyLimit, cost));
        }

        if (tenanted)
        {
            buckets.Add(new RateLimitBucket("t:" + caller.TenantId + suffix, tenantLimit, cost));
        }

        string entryId = Guid.NewGuid().ToString("N");
        RateLimitDecision decision;
        try
        {
            decision = await _store.AcquireAsync(buckets, entryId, ctx.RequestAborted);
        }
        catch (RateLimitStoreException e)
        {
            _metrics.RateLimitStoreErrors.Add(1);
            _log.LogError("rate-limit store unavailable ({Mode}): {Error}", _options.FailOpen ? "fail-open, request admitted" : "fail-closed, request refused", e.Message);
            if (_options.FailOpen)
            {
                return null;
            }

            throw new ApiError(503, ErrorCodes.ServerOverloaded,
                "The rate-limit store is unavailable, so the server refuses requests (fail-closed). Fix: retry shortly; the operator should check the Redis server");
        }

        var tightest = decision.States[0];
        var retry = TimeSpan.Zero;
        int failed = -1;
        for (int i = 0; i < decision.States.Length; i++)
        {
            var s = decision.States[i];
            if (s.Remaining < tightest.Remaining)
            {
                tightest = s;
            }

            if (s.Exceeded && s.RetryAfter >= retry)
            {
                retry = s.RetryAfter;
                failed = i;
            }
        }

        if (decision.Admitted)
        {
            RateLimitHeaders.Set(ctx.Response, kind, tightest);
            return new TokenLease(entryId, buckets.Select(b => b.Key).ToArray(), cost);
        }

        Debug.Assert(failed >= 0, "a refused admission has an exceeded bucket");
        string scope = buckets[failed].Key.StartsWith("k:", StringComparison.Ordinal) ? "API key" : $"tenant '{caller.TenantId}'";
        _metrics.RateLimitRejections.Add(1, new("tenant", caller.TenantId), new("limit", kind));
        bool impossible = retry == TimeSpan.MaxValue;
        var wait = impossible ? _store.Window : retry;
        var error = impossible
            ? new ApiError(429, ErrorCodes.RateLimitExceeded,
                $"Request too large: it needs {cost} {kind} but the {scope} limit is {buckets[failed].Limit} {kind} per minute. Fix: lower max_tokens or shorten the prompt, or ask the operator to raise the limit", kind == "tokens" ? "max_tokens" : null)
            : new ApiError(429, ErrorCodes.RateLimitExceeded,
                $"Rate limit reached for the {scope}: {buckets[failed].Limit} {kind} per minute, {decision.States[failed].Used} used. Fix: retry after {RateLimitHeaders.Duration(wait)} (Retry-After), or ask the operator to raise the limit");
        // The error middleware clears the response, so the headers travel with the error (the earlier
        // x-ratelimit-*-requests headers of this response included).
        var headers = RateLimitHeaders.For(kind, decision.States[failed]);
        foreach (var (name, value) in ctx.Response.Headers)
        {
            if (name.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase) && !headers.ContainsKey(name))
            {
                headers[name] = value.ToString();
            }
        }

        RateLimitHeaders.AddRetryAfter(headers, wait);
        throw new ApiError(error.Status, error.Code, error.Message, error.Param) { Headers = headers };
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
