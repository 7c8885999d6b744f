using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>Every input error path answers with the right status, code and param.</summary>
[Collection(StoriesCollection.Name)]
public sealed class ErrorTests(StoriesServerFixture fx)
{
    private const string Chat = "/v1/chat/completions";

    private static string Msgs(string extra = "") => "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2" + extra + "}";

    [Theory]
    [InlineData("{\"messages\":[", "malformed")]
    [InlineData("[1,2]", "array root")]
    [InlineData("", "empty")]
    public async Task Malformed_json_is_400(string body, string why)
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, body);
        var e = await ErrorAssert.IsAsync(resp, 400, "invalid_request_error");
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(",\"tools\":[]", "tools")]
    [InlineData(",\"tool_choice\":\"auto\"", "tool_choice")]
    [InlineData(",\"functions\":[]", "functions")]
    [InlineData(",\"response_format\":{\"type\":\"xml\"}", "response_format.type")]
    [InlineData(",\"n\":99", "n")]
    [InlineData(",\"temperature\":\"hot\"", "temperature")]
    [InlineData(",\"top_p\":0", "top_p")]
    [InlineData(",\"top_k\":-5", "top_k")]
    [InlineData(",\"min_p\":2", "min_p")]
    [InlineData(",\"presence_penalty\":3", "presence_penalty")]
    [InlineData(",\"logit_bias\":{\"abc\":1}", "logit_bias")]
    [InlineData(",\"stop_token_ids\":[999999]", "stop_token_ids")]
    [InlineData(",\"top_logprobs\":3", "top_logprobs")]
    [InlineData(",\"stream_options\":{\"include_usage\":true}", "stream_options")]
    [InlineData(",\"max_completion_tokens\":0", "max_tokens")]
    public async Task Unsupported_or_invalid_fields_are_400_naming_the_param(string extra, string param)
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, Msgs(extra));
        await ErrorAssert.IsAsync(resp, 400, "invalid_request_error", param);
    }

    [Theory]
    [InlineData("{\"messages\":[]}", "messages")]
    [InlineData("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].tool_call_id")]
    [InlineData("{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}", "messages[0].role")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}]}", "messages[0].content[0].type")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0001b\"}]}", "messages[0].content")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"a\\ud800b\"}]}", "messages[0].content")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"ok\",\"\\udc00\"]}", "stop[1]")]
    public async Task Bad_messages_and_text_are_400_naming_the_field(string body, string param)
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, body);
        await ErrorAssert.IsAsync(resp, 400, "invalid_request_error", param);
    }

    [Fact]
    public async Task Tab_newline_and_surrogate_pairs_are_accepted()
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\tb\\r\\nc \\ud83d\\ude00\"}],\"max_tokens\":2}");
        Assert.True(resp.IsSuccessStatusCode, await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_model_is_404_model_not_found()
    {
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"a\"}");
        await ErrorAssert.IsAsync(resp, 404, "model_not_found", "model");
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_context_length_exceeded()
    {
        // Enough text for more tokens than the context holds (each sentence is several tokens).
        string prompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a cat.", fx.Engine.ContextTokens / 4));
        Assert.True(fx.Engine.Encode(prompt).Length > fx.Engine.ContextTokens);
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { prompt }));
        await ErrorAssert.IsAsync(resp, 400, "context_length_exceeded");
        using var resp2 = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { prompt = "Once", max_tokens = 100_000 }));
        await ErrorAssert.IsAsync(resp2, 400, "context_length_exceeded", "max_tokens");
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_request_too_large()
    {
        string big = "{\"prompt\":\"" + new string('a', 2 << 20) + "\"}";
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", big);
        await ErrorAssert.IsAsync(resp, 413, "request_too_large");
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413_request_too_large()
    {
        // No Content-Length: the limit is enforced while reading.
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"prompt\":\"" + new string('a', 2 << 20) + "\"}")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = content };
        req.Headers.TransferEncodingChunked = true;
        using var resp = await fx.Server.Http.SendAsync(req);
        await ErrorAssert.IsAsync(resp, 413, "request_too_large");
    }

    [Fact]
    public async Task Unknown_route_is_a_json_404()
    {
        using var resp = await fx.Server.Http.GetAsync("/v1/nothing");
        await ErrorAssert.IsAsync(resp, 404, "not_found");
    }

    [Fact]
    public async Task Too_deep_json_is_400()
    {
        string deep = "{\"prompt\":\"a\",\"x\":" + string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)) + "}";
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", deep);
        await ErrorAssert.IsAsync(resp, 400, "invalid_request_error");
    }
}
