using CyLlm.Gateway.Observability;

namespace CyLlm.Gateway.Tests.Observability;

public sealed class LogRedactorTests
{
    private const string Key = "sk-cy-Abc123XyZ0987654321abcdefghijklmnopqrstu";

    [Theory]
    [InlineData("key " + Key + " used")]
    [InlineData("Authorization: Bearer " + Key)]
    [InlineData("authorization=Bearer abc.def.ghi")]
    [InlineData("api-key: " + Key)]
    [InlineData("{\"api_key\":\"" + Key + "\"}")]
    [InlineData("GET /v1/models?api-key=" + Key + "&x=1")]
    [InlineData("openai sk-proj-aaaaBBBB1111 and sk-live_zzzz")]
    public void Secret_shapes_are_masked(string text)
    {
        string r = LogRedactor.Default.Redact(text);
        Assert.DoesNotContain(Key, r);
        Assert.DoesNotContain("abc.def.ghi", r);
        Assert.DoesNotContain("aaaaBBBB1111", r);
        Assert.DoesNotContain("zzzz", r);
        Assert.Contains(LogRedactor.Mask, r);
    }

    [Theory]
    [InlineData("POST /v1/chat/completions 200 in 3.2 ms (model fake, tenant default)")]
    [InlineData("the monkey-key ring")]
    [InlineData("task-42 finished")]
    public void Ordinary_text_is_untouched(string text) => Assert.Same(text, LogRedactor.Default.Redact(text));

    [Fact]
    public void Sensitive_fields_are_masked_and_content_only_when_content_logging_is_off()
    {
        Assert.Equal(LogRedactor.Mask, LogRedactor.Default.RedactValue("Authorization", "anything"));
        Assert.Equal(LogRedactor.Mask, LogRedactor.Default.RedactValue("Prompt", "tell me a story"));
        Assert.Equal("tell me a story", new LogRedactor(logContent: true).RedactValue("Prompt", "tell me a story"));
        Assert.Equal(LogRedactor.Mask, new LogRedactor(logContent: true).RedactValue("ApiKey", "x"));
        Assert.Equal(42, LogRedactor.Default.RedactValue("Count", 42));
    }
}
