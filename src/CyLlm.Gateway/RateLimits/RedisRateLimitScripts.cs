namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// The Lua scripts of <see cref="RedisRateLimitStore"/>. Every bucket is three keys: <c>{bucket}:z</c> a sorted set
/// (member = entry id, score = admission time in Unix ms), <c>{bucket}:h</c> a hash (entry id → cost) and
/// <c>{bucket}:t</c> the running total of the costs in the window. Redis runs a script atomically, so the check
/// and the update of all buckets of an admission are one step across every replica: an exact sliding log, the
/// same algorithm as <see cref="InMemoryRateLimitStore"/> (no counter approximation).
/// </summary>
internal static class RedisRateLimitScripts
{
    /// <summary>
    /// KEYS: 3 per bucket (z, h, t). ARGV: now_ms, window_ms, entry_id, then limit and cost per bucket.
    /// Returns {admitted, then used, reset_ms, retry_ms per bucket}; retry_ms -1 = the cost exceeds the limit.
    /// </summary>
    public const string Acquire = """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local id = ARGV[3]
        local n = #KEYS / 3
        local cutoff = now - window
        local used = {}
        for i = 1, n do
          local z, h, t = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
          local old = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)
          if #old > 0 then
            local freed = 0
            for j = 1, #old do
              freed = freed + tonumber(redis.call('HGET', h, old[j]) or '0')
              redis.call('HDEL', h, old[j])
            end
            redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
            redis.call('DECRBY', t, freed)
          end
          used[i] = tonumber(redis.call('GET', t) or '0')
        end
        local admitted = 1
        local retry = {}
        for i = 1, n do
          local limit = tonumber(ARGV[2+2*i])
          local cost = tonumber(ARGV[3+2*i])
          local r = 0
          if limit > 0 and used[i] + cost > limit then
            admitted = 0
            if cost > limit then
              r = -1
            else
              r = window
              local u = used[i]
              local entries = redis.call('ZRANGE', KEYS[3*i-2], 0, -1, 'WITHSCORES')
              for j = 1, #entries, 2 do
                u = u - tonumber(redis.call('HGET', KEYS[3*i-1], entries[j]) or '0')
                if u + cost <= limit then
                  r = math.max(1, tonumber(entries[j+1]) + window - now)
                  break
                end
              end
            end
          end
          retry[i] = r
        end
        if admitted == 1 then
          for i = 1, n do
            local cost = tonumber(ARGV[3+2*i])
            if cost ~= 0 then
              local z, h, t = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
              redis.call('ZADD', z, now, id)
              redis.call('HSET', h, id, cost)
              used[i] = redis.call('INCRBY', t, cost)
              redis.call('PEXPIRE', z, window + 1000)
              redis.call('PEXPIRE', h, window + 1000)
              redis.call('PEXPIRE', t, window + 1000)
            end
          end
        end
        local out = {admitted}
        for i = 1, n do
          local newest = redis.call('ZRANGE', KEYS[3*i-2], -1, -1, 'WITHSCORES')
          local reset = 0
          if #newest == 2 then reset = math.max(0, tonumber(newest[2]) + window - now) end
          out[#out+1] = used[i]
          out[#out+1] = reset
          out[#out+1] = retry[i]
        end
        return out
        """;

    /// <summary>KEYS: z, h, t of one bucket. ARGV: entry id, new cost. Replaces the entry's cost while it is in the window.</summary>
    public const string Adjust = """
        if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
          local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
          local new = tonumber(ARGV[2])
          redis.call('HSET', KEYS[2], ARGV[1], new)
          redis.call('INCRBY', KEYS[3], new - old)
        end
        return 1
        """;
}
