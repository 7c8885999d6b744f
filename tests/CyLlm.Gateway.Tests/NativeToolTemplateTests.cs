using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// Tool requests over HTTP rendered by real tool-aware templates (Qwen 2.5, Mistral Nemo, Llama 3.1 from the chat
/// template test data): tools and tool turns reach the template, Mistral gets its 9-character ids, a template's own
/// refusal is a 400, and each family's reply is parsed into tool_calls.
/// </summary>
public sealed class NativeToolTemplateTests
{
    private const string Tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather in a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";

    private const string RoundTrip =
        "[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}," +
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_Ab3dE5gH7jK9mN1pQ3sT5vX7\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}," +
        "{\"role\":\"tool\",\"tool_call_id\":\"call_Ab3dE5gH7jK9mN1pQ3sT5vX7\",\"content\":\"sunny\"}," +
        "{\"role\":\"user\",\"content\":\"And Rome?\"}]";

    private static ChatTemplate Template(string file) =>
        ChatTemplate.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "CyLlm.ChatTemplates.Tests", "TestData", "corpus", file)));

    private static async Task<(TemplateBackend Backend, HttpResponseMessage Response, string Body)> PostAsync(string file, string reply, string messages = RoundTrip)
    {
        var backend = new TemplateBackend(new FakeBackend { Reply = reply }, Template(file));
        await using var server = await LiveServer.StartAsync(new CyLlm.Gateway.GatewayOptions { BackendFactory = () => backend });
        var resp = await server.PostJsonAsync("/v1/chat/completions", "{\"messages\":" + messages + ",\"max_tokens\":64,\"tools\":" + Tools + "}");
        return (backend, resp, await resp.Content.ReadAsStringAsync());
    }

    private static JsonElement Call(string body)
    {
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        return Assert.Single(choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray()).GetProperty("function");
    }

    [Fact]
    public async Task Qwen_renders_tools_and_the_round_trip_and_its_hermes_reply_is_a_call()
    {
        var (backend, resp, body) = await PostAsync("Qwen-Qwen2.5-7B-Instruct.jinja", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>");
        Assert.True(resp.IsSuccessStatusCode, body);
        Assert.Contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather in a city\"", backend.LastPrompt, StringComparison.Ordinal);
        Assert.Contains(
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n",
            backend.LastPrompt, StringComparison.Ordinal);
        Assert.Equal("{\"city\": \"Rome\"}", Call(body).GetProperty("arguments").GetString());
    }

    [Fact]
    public async Task Mistral_gets_nine_character_ids_and_its_tool_calls_reply_is_a_call()
    {
        // Ending at the tool result: Nemo wants user and assistant turns to alternate around the tool turns.
        string untilResult = RoundTrip[..RoundTrip.IndexOf(",{\"role\":\"user\",\"content\":\"And Rome?\"}", StringComparison.Ordinal)] + "]";
        var (backend, resp, body) = await PostAsync("mistralai-Mistral-Nemo-Instruct-2407.jinja", "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}, \"id\": \"a1b2c3d4e\"}]", untilResult);
        Assert.True(resp.IsSuccessStatusCode, body);
        Assert.Contains("\"id\": \"pQ3sT5vX7\"}]</s>[TOOL_RESULTS]{\"content\": sunny, \"call_id\": \"pQ3sT5vX7\"}[/TOOL_RESULTS]", backend.LastPrompt, StringComparison.Ordinal);
        Assert.Contains("[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"", backend.LastPrompt, StringComparison.Ordinal);
        var call = Call(body);
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("{\"city\": \"Rome\"}", call.GetProperty("arguments").GetString());
    }

    [Fact]
    public async Task Llama_refusing_parallel_calls_in_history_is_a_400_and_its_json_reply_is_a_call()
    {
        string twoCalls = RoundTrip.Replace(
            "\"tool_calls\":[{\"id\":\"call_Ab3dE5gH7jK9mN1pQ3sT5vX7\"",
            "\"tool_calls\":[{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}},{\"id\":\"call_Ab3dE5gH7jK9mN1pQ3sT5vX7\"",
            StringComparison.Ordinal);
        var (_, refused, error) = await PostAsync("meta-llama-Llama-3.1-8B-Instruct.jinja", "", twoCalls);
        var e = await ErrorAssert.IsAsync(refused, 400, "invalid_request_error");
        Assert.Contains("This model only supports single tool-calls at once!", e.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error));

        var (backend, resp, body) = await PostAsync("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}");
        Assert.True(resp.IsSuccessStatusCode, body);
        Assert.Contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>", backend.LastPrompt, StringComparison.Ordinal);
        Assert.Equal("{\"city\": \"Rome\"}", Call(body).GetProperty("arguments").GetString());
    }
}
