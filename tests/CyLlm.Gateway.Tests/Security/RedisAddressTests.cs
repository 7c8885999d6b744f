using System.Net;
using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>--redis takes a password and TLS (a StackExchange.Redis configuration string, or a redis:// / rediss://
/// URL), and the password never appears in a log line or an error message. No Redis server is needed.</summary>
public sealed class RedisAddressTests
{
    private const string Secret = "s3cr@t-pa55";

    [Fact]
    public void Host_and_port_still_work()
    {
        var c = RedisAddress.Parse("127.0.0.1:6379");
        Assert.Equal("127.0.0.1:6379", Assert.Single(c.EndPoints).ToString());
        Assert.Null(c.Password);
        Assert.False(c.Ssl);
    }

    [Fact]
    public void A_configuration_string_carries_user_password_and_tls()
    {
        var c = RedisAddress.Parse($"redis.example:6380,user=app,password={Secret},ssl=true");
        Assert.Equal("Unspecified/redis.example:6380", Assert.Single(c.EndPoints).ToString());
        Assert.Equal("app", c.User);
        Assert.Equal(Secret, c.Password);
        Assert.True(c.Ssl);
    }

    [Theory]
    [InlineData("redis://app:s3cr%40t-pa55@redis.example:6380/2", "app", false, 6380, 2)]
    [InlineData("rediss://:s3cr%40t-pa55@redis.example", null, true, 6379, null)]
    public void A_url_carries_user_password_tls_and_database(string url, string? user, bool tls, int port, int? db)
    {
        var c = RedisAddress.Parse(url);
        Assert.EndsWith($"redis.example:{port}", Assert.Single(c.EndPoints).ToString(), StringComparison.Ordinal);
        Assert.Equal(user, c.User);
        Assert.Equal(Secret, c.Password);
        Assert.Equal(tls, c.Ssl);
        Assert.Equal(db, c.DefaultDatabase);
        // The limiter's own failure behaviour is applied on top of the parsed settings.
        var configured = RedisRateLimitStore.Configure(url);
        Assert.False(configured.AbortOnConnectFail);
        Assert.Equal(Secret, configured.Password);
    }

    [Theory]
    [InlineData("redis://app:s3cr%40t-pa55@redis.example:6380/2", "redis://app:***@redis.example:6380/2")]
    [InlineData("redis.example:6380,password=s3cr@t-pa55,ssl=true", "redis.example:6380,password=***,ssl=true")]
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    public void The_redacted_form_hides_the_password(string value, string expected) =>
        Assert.Equal(expected, RedisAddress.Redacted(value));

    [Theory]
    [InlineData("redis://app:s3cr%40t-pa55@/0")]
    [InlineData("redis://app:s3cr@t-pa55@redis.example:6379/x")]
    [InlineData("redis://app:s3cr@t-pa55@redis.example:6379/0?timeout=1")]
    [InlineData(",password=s3cr@t-pa55")]
    [InlineData("no-port")]
    public void Invalid_values_are_refused_without_quoting_the_password(string value)
    {
        var problems = new GatewayOptions { RateLimits = new RateLimitOptions { Redis = value } }.Validate();
        string problem = Assert.Single(problems, p => p.Contains("Gateway:RateLimits:Redis", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_logs_only_the_redacted_address()
    {
        // Port 1 on loopback: nothing listens, the limiter fails open; the test needs no Redis.
        string url = "rediss://app:s3cr%40t-pa55@127.0.0.1:1/0";
        await using var s = await AuthServer.StartAsync(o => o with
        {
            RateLimits = new RateLimitOptions { Redis = url, PerKey = new() { RequestsPerMinute = 100 } },
        });
        var key = await s.IssueAsync();
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key.Secret)).StatusCode);
        Assert.Contains("rediss://app:***@127.0.0.1:1/0", s.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr", s.Logs.All, StringComparison.Ordinal);
    }
}
