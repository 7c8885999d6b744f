using CsCheck;
using CyLlm.Gateway.Auth;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>Key format, hashing and the duration syntax.</summary>
public sealed class ApiKeyFormatTests
{
    [Fact]
    public void Keys_are_long_random_base64url_with_a_short_prefix_and_a_sha256_hex_hash()
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            string k = ApiKeySecret.Generate();
            Assert.True(seen.Add(k));
            Assert.StartsWith("sk-cy-", k);
            Assert.Equal(60, k.Length); // 6 + 54 characters for 40 random bytes
            Assert.Matches("^sk-cy-[A-Za-z0-9_-]{54}$", k);
            Assert.Equal(14, ApiKeySecret.Prefix(k).Length);
            Assert.Matches("^[0-9a-f]{64}$", ApiKeySecret.Hash(k));
        }

        Assert.Equal("a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3", ApiKeySecret.Hash("123"));
        Assert.Equal("the presented key", ApiKeySecret.Describe("my-password"));
    }

    [Fact]
    public void Durations_parse_with_units_and_reject_everything_else()
    {
        Assert.True(DurationText.TryParse("30d", out var d) && d == TimeSpan.FromDays(30));
        Assert.True(DurationText.TryParse("24h", out var h) && h == TimeSpan.FromHours(24));
        Assert.True(DurationText.TryParse("2w", out var w) && w == TimeSpan.FromDays(14));
        foreach (string bad in new[] { "", "d", "0d", "-1d", "1.5h", "10", "3y", "99999d", " 1 d", "1e3s" })
        {
            Assert.False(DurationText.TryParse(bad, out _), bad);
        }

        Gen.Select(Gen.Int[1, 3650], Gen.Int[0, 3].Select(i => "smhd"[i])).Sample((n, unit) =>
        {
            Assert.True(DurationText.TryParse($"{n}{unit}", out var span));
            double expected = n * unit switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 86400 };
            Assert.Equal(expected, span.TotalSeconds);
        }, iter: 500);
    }
}
