using System.Text;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>Each bound on request size and shape answers 400 naming the field (413 for the body).</summary>
public sealed class InputLimitTests : IAsyncLifetime
{
    private readonly FakeBackend _fake = new();
    private LiveServer _server = null!;

    public async Task InitializeAsync() => _server = await LiveServer.StartFakeAsync(_fake, o => o with { MaxBodyBytes = 256 * 1024 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Chat(string extra, string? messages = null) =>
        "{\"model\":\"fake\",\"messages\":" + (messages ?? "[{\"role\":\"user\",\"content\":\"hi\"}]") + extra + "}";

    [Theory]
    [InlineData(",\"n\":99", "n")]
    [InlineData(",\"n\":0", "n")]
    [InlineData(",\"max_tokens\":0", "max_tokens")]
    [InlineData(",\"max_tokens\":-5", "max_tokens")]
    [InlineData(",\"max_completion_tokens\":0", "max_tokens")]
    [InlineData(",\"stop\":[\"\"]", "stop")]
    [InlineData(",\"top_logprobs\":3", "top_logprobs")]
    public async Task Bad_values_name_the_field(string extra, string param)
    {
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat(extra));
        await ErrorAssert.IsAsync(r, 400, "invalid_request_error", param);
    }

    [Fact]
    public async Task Max_tokens_beyond_the_context_is_context_length_exceeded_naming_max_tokens()
    {
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat(",\"max_tokens\":100000"));
        await ErrorAssert.IsAsync(r, 400, "context_length_exceeded", "max_tokens");
    }

    [Fact]
    public async Task Too_many_stop_sequences_names_stop()
    {
        string stops = string.Join(",", Enumerable.Range(0, SamplingMapper.MaxStops + 1).Select(i => $"\"s{i}\""));
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat($",\"stop\":[{stops}]"));
        await ErrorAssert.IsAsync(r, 400, "invalid_request_error", "stop");
    }

    [Fact]
    public async Task A_stop_sequence_longer_than_the_limit_names_stop()
    {
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat($",\"stop\":\"{new string('a', SamplingMapper.MaxStopLength + 1)}\""));
        await ErrorAssert.IsAsync(r, 400, "invalid_request_error", "stop");
    }

    [Fact]
    public async Task Too_many_logit_bias_entries_names_logit_bias()
    {
        string bias = string.Join(",", Enumerable.Range(0, SamplingMapper.MaxLogitBias + 1).Select(i => $"\"{i}\":1"));
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat($",\"logit_bias\":{{{bias}}}"));
        await ErrorAssert.IsAsync(r, 400, "invalid_request_error", "logit_bias");
    }

    [Fact]
    public async Task Too_many_stop_token_ids_names_stop_token_ids()
    {
        string ids = string.Join(",", Enumerable.Range(0, SamplingMapper.MaxStopTokenIds + 1).Select(i => (i % 100).ToString()));
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat($",\"stop_token_ids\":[{ids}]"));
        await ErrorAssert.IsAsync(r, 400, "invalid_request_error", "stop_token_ids");
    }

    [Fact]
    public async Task Too_many_messages_names_messages()
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i <= SamplingMapper.MaxMessages; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append("{\"role\":\"user\",\"content\":\"a\"}");
        }

        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat("", sb.Append(']').ToString()));
        await ErrorAssert.IsAsync(r, 400, "invalid_request_error", "messages");
        Assert.Equal(0, _fake.Started);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        using var r = await _server.PostJsonAsync("/v1/chat/completions", Chat("", $"[{{\"role\":\"user\",\"content\":\"{new string('a', 300 * 1024)}\"}}]"));
        await ErrorAssert.IsAsync(r, 413, "request_too_large");
    }
}
