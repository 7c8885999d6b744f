using CsCheck;
using CyLlm.Jobs.Caching;

namespace CyLlm.Jobs.Tests;

public sealed class ResponseCacheKeyTests
{
    [Fact]
    public void Keys_are_stable_hex_and_depend_on_every_field()
    {
        string k = ResponseCache.ComputeKey("llama", "lora-1", "{\"temperature\":0}", "hi");
        Assert.Equal(64, k.Length);
        Assert.Equal(k, ResponseCache.ComputeKey("llama", "lora-1", "{\"temperature\":0}", "hi"));
        Assert.NotEqual(k, ResponseCache.ComputeKey("llama2", "lora-1", "{\"temperature\":0}", "hi"));
        Assert.NotEqual(k, ResponseCache.ComputeKey("llama", null, "{\"temperature\":0}", "hi"));
        Assert.NotEqual(k, ResponseCache.ComputeKey("llama", "lora-1", "{\"temperature\":0,\"seed\":1}", "hi"));
        Assert.NotEqual(k, ResponseCache.ComputeKey("llama", "lora-1", "{\"temperature\":0}", "hi!"));
        Assert.True(ResponseCache.IsCacheable(0, null));
        Assert.True(ResponseCache.IsCacheable(0.8, 42));
        Assert.False(ResponseCache.IsCacheable(0.8, null));
    }

    [Fact]
    public void Moving_characters_between_fields_never_collides()
    {
        Gen.Select(Gen.String[Gen.Char["ab"], 0, 6], Gen.String[Gen.Char["ab"], 0, 6], Gen.Int[0, 6]).Sample((a, b, cut) =>
        {
            string joined = a + b;
            int c = Math.Min(cut, joined.Length);
            string a2 = joined[..c], b2 = joined[c..];
            bool same = a == a2 && b == b2;
            Assert.Equal(same, ResponseCache.ComputeKey(a, null, "{}", b) == ResponseCache.ComputeKey(a2, null, "{}", b2));
        }, iter: 500);
    }
}
