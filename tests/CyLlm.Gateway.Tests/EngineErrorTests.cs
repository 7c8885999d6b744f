using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>Each typed engine error reaches the client through HTTP as its own status and code (EngineErrors), never a 500.</summary>
public class EngineErrorTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Body = """{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}""";

    public static TheoryData<string, int, string> Cases() => new()
    {
        { "context", 400, "context_length_exceeded" },
        { "kv", 400, "context_length_exceeded" },
        { "overloaded", 503, "server_overloaded" },
        { "adapter", 404, "model_not_found" },
        { "template", 400, "invalid_request_error" },
        { "bug", 500, "server_error" },
    };

    private static ThrowingBackend Backend(string kind) => kind switch
    {
        "context" => new(() => new ContextLengthException(10, 2000, 1024)),
        "kv" => new(() => KvCapacityException.ForRequest(300, 16, 19, 9, 20480)),
        "overloaded" => new(() => new ServerOverloadedException("the server is overloaded: 256 requests are already waiting")),
        "adapter" => new(() => new AdapterNotFoundException("gone")),
        "template" => new(() => new ChatTemplateException("Conversation roles must alternate user/assistant", ChatTemplateErrorKind.RaisedByTemplate, 0, 0), fromChatTemplate: true),
        _ => new(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Engine_exception_is_mapped_to_its_status_and_code(string kind, int status, string code)
    {
        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => Backend(kind) });
        using var resp = await server.PostJsonAsync(Chat, Body);
        var error = await ErrorAssert.IsAsync(resp, status, code);
        if (status == 503)
        {
            Assert.True(resp.Headers.RetryAfter is not null, "a 503 carries Retry-After");
        }

        if (kind == "kv")
        {
            // What was needed and what exists, so the client can size its request.
            Assert.Contains("300 tokens", error.GetProperty("message").GetString());
            Assert.Contains("144 tokens", error.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData(Chat, false, false)]
    [InlineData(Chat, false, true)]
    [InlineData(Chat, true, false)]
    [InlineData(Chat, true, true)]
    [InlineData("/v1/completions", false, false)]
    [InlineData("/v1/completions", false, true)]
    [InlineData("/v1/completions", true, false)]
    [InlineData("/v1/completions", true, true)]
    public async Task A_kv_pool_smaller_than_the_context_never_answers_500(string path, bool stream, bool withMaxTokens)
    {
        // 200000 bytes hold 9 blocks of 16 tokens on stories260K: 144 tokens against a 512-token context.
        await using var server = await LiveServer.StartStoriesAsync(o => o with { KvCacheBytes = 200000 });
        var body = new Dictionary<string, object> { ["stream"] = stream, ["temperature"] = 0 };
        if (path == Chat)
        {
            body["messages"] = new[] { new { role = "user", content = "Once upon a time" } };
        }
        else
        {
            body["prompt"] = "Once upon a time";
        }

        if (withMaxTokens)
        {
            body["max_tokens"] = 300; // inside the context, larger than the KV pool
        }

        using var resp = await server.PostJsonAsync(path, JsonSerializer.Serialize(body));
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True((int)resp.StatusCode != 500, text);
        if (withMaxTokens)
        {
            await ErrorAssert.IsAsync(resp, 400, "context_length_exceeded", "max_tokens");
            return;
        }

        Assert.True(resp.IsSuccessStatusCode, text);
        if (stream)
        {
            Assert.DoesNotContain("\"error\"", text);
            Assert.EndsWith("data: [DONE]", text.TrimEnd());
        }
    }

    [Fact]
    public async Task Max_tokens_of_int_max_on_the_decode_worker_is_a_400()
    {
        await using var cluster = await Disaggregation.RouterCluster.StartAsync();
        using var resp = await cluster.Decode!.PostJsonAsync("/internal/disaggregation/decode",
            """{"bootstrap_room":7,"prompt_tokens":[1,2,3],"max_tokens":2147483647}""");
        await ErrorAssert.IsAsync(resp, 400, "context_length_exceeded", "max_tokens");
    }
}
