using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>GET /v1/models, /v1/models/{id}, /tokenize, /detokenize and /health on the real model.</summary>
[Collection(StoriesCollection.Name)]
public sealed class ModelsAndTokenizeTests(StoriesServerFixture fx)
{
    [Fact]
    public async Task Models_lists_the_served_model_and_the_sdk_reads_it()
    {
        var client = new OpenAI.Models.OpenAIModelClient(new System.ClientModel.ApiKeyCredential("x"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(fx.Server.BaseUrl + "/v1") });
        var models = client.GetModels().Value;
        Assert.Single(models);
        Assert.Equal(fx.ModelId, models[0].Id);
        Assert.Equal(fx.ModelId, client.GetModel(fx.ModelId).Value.Id);

        using var missing = await fx.Server.Http.GetAsync("/v1/models/gpt-4");
        await ErrorAssert.IsAsync(missing, 404, "model_not_found");
    }

    [Fact]
    public async Task A_model_says_its_architecture_quantization_size_capabilities_and_tool_format()
    {
        using var resp = await fx.Server.Http.GetAsync("/v1/models/" + fx.ModelId);
        var m = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("llama", m.GetProperty("architecture").GetString());
        Assert.Equal("F32", m.GetProperty("quantization").GetString()); // stories260K.gguf is all F32
        Assert.Equal(fx.Engine.Model.Tensors.Values.Sum(t => t.ElementCount), m.GetProperty("parameters").GetInt64());
        string[] caps = [.. m.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!)];
        Assert.Equal(["chat", "completions", "embeddings", "tools", "structured_outputs", "echo_logprobs", "lora"], caps);
        Assert.Equal("hermes (fallback)", m.GetProperty("tool_format").GetString()); // its template knows no tools
        Assert.Equal("chatml", m.GetProperty("chat_template").GetString());
        Assert.Equal(fx.ModelId, m.GetProperty("root").GetString());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("parent").ValueKind);
    }

    [Fact]
    public async Task Tokenize_matches_the_engine_and_detokenize_inverts_it()
    {
        using var t = await fx.Server.PostJsonAsync("/tokenize", "{\"prompt\":\"Once upon a time\"}");
        var root = JsonDocument.Parse(await t.Content.ReadAsStringAsync()).RootElement;
        int[] ids = root.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(fx.Engine.Encode("Once upon a time"), ids);
        Assert.Equal(ids.Length, root.GetProperty("count").GetInt32());
        Assert.Equal(fx.Engine.ContextTokens, root.GetProperty("max_model_len").GetInt32());

        using var d = await fx.Server.PostJsonAsync("/detokenize", JsonSerializer.Serialize(new { tokens = ids }));
        string text = JsonDocument.Parse(await d.Content.ReadAsStringAsync()).RootElement.GetProperty("prompt").GetString()!;
        Assert.Equal("Once upon a time", text.TrimStart());

        using var bad = await fx.Server.PostJsonAsync("/detokenize", "{\"tokens\":[1,99999]}");
        await ErrorAssert.IsAsync(bad, 400, "invalid_request_error", "tokens[1]");
    }

    [Fact]
    public async Task Tokenize_messages_counts_the_chat_prompt()
    {
        var messages = new List<CyLlm.ChatTemplates.ChatMessage> { new("user", "hi") };
        using var t = await fx.Server.PostJsonAsync("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        var root = JsonDocument.Parse(await t.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(fx.Engine.EncodeChat(messages).Length, root.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Health_is_200_once_loaded()
    {
        using var h = await fx.Server.Http.GetAsync("/health");
        Assert.Equal(200, (int)h.StatusCode);
    }
}
