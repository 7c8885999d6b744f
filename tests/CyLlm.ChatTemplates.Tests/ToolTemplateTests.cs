using System.Text.Json;
using CyLlm.ChatTemplates.Tools;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// Real tool-aware templates (Qwen 2.5 and 3, Llama 3.1/3.2/3.3, Mistral Nemo / Small 3.2 / Devstral / Ministral 3,
/// Hermes 2 Pro and 3) rendering tools, assistant
/// tool_calls and tool results exactly as transformers' apply_chat_template(messages, tools=...) does:
/// TestData/tools.json, made by TestData/generate_tool_golden.py with the real Jinja2 in transformers' environment.
/// </summary>
public class ToolTemplateTests
{
    private static readonly Lazy<JsonElement> Golden = new(() =>
    {
        using var doc = JsonDocument.Parse(TestData.Read("tools.json"));
        return doc.RootElement.Clone();
    });

    public static IEnumerable<object[]> Renders()
    {
        foreach (var c in Golden.Value.GetProperty("cases").EnumerateArray())
        {
            int i = 0;
            foreach (var _ in c.GetProperty("renders").EnumerateArray())
            {
                yield return [c.GetProperty("name").GetString()!, i++];
            }
        }
    }

    /// <summary>The golden messages as the gateway builds them: arguments as JSON text, content "" beside calls.</summary>
    internal static ChatMessage[] Messages(JsonElement list) =>
        list.EnumerateArray().Select(m =>
        {
            string content = m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
            var msg = new ChatMessage(m.GetProperty("role").GetString()!, content);
            if (m.TryGetProperty("tool_calls", out var calls))
            {
                msg = msg with
                {
                    ToolCalls = calls.EnumerateArray().Select(tc => new ChatToolCall(
                        tc.GetProperty("id").GetString()!,
                        tc.GetProperty("function").GetProperty("name").GetString()!,
                        tc.GetProperty("function").GetProperty("arguments").GetRawText())).ToList(),
                };
            }

            if (m.TryGetProperty("tool_call_id", out var id))
            {
                msg = msg with { ToolCallId = id.GetString() };
            }

            return msg;
        }).ToArray();

    internal static List<ChatTool> Tools() =>
        Golden.Value.GetProperty("tools").EnumerateArray().Select(t =>
        {
            var f = t.GetProperty("function");
            return new ChatTool(f.GetProperty("name").GetString()!, f.GetProperty("description").GetString(), f.GetProperty("parameters").Clone());
        }).ToList();

    [Theory]
    [MemberData(nameof(Renders))]
    public void Renders_tools_and_tool_turns_like_transformers(string name, int index)
    {
        var c = Golden.Value.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var r = c.GetProperty("renders")[index];
        var template = ChatTemplate.Parse(TestData.Read(c.GetProperty("template").GetString()!));
        var options = new ChatTemplateOptions
        {
            AddGenerationPrompt = r.GetProperty("add_generation_prompt").GetBoolean(),
            BosToken = c.GetProperty("bos_token").GetString()!,
            EosToken = c.GetProperty("eos_token").GetString()!,
            Time = TestData.Clock(Golden.Value.GetProperty("now").GetString()!),
            Tools = Tools(),
        };
        var messages = Messages(Golden.Value.GetProperty("conversations").GetProperty(r.GetProperty("conversation").GetString()!));
        if (r.TryGetProperty("expected", out var expected))
        {
            Assert.Equal(expected.GetString(), template.Render(messages, options));
        }
        else
        {
            var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages, options));
            if (!r.TryGetProperty("python_error", out _))
            {
                Assert.Equal(r.GetProperty("error").GetString(), e.Reason);
            }
        }
    }

    public static IEnumerable<object[]> CorpusTemplates() =>
        Golden.Value.GetProperty("corpus").EnumerateArray().Select(r => new object[] { r.GetProperty("template").GetString()! });

    /// <summary>Every corpus template (llama.cpp's models/templates) on the single-call round trip renders or fails as in Jinja2.</summary>
    [Theory]
    [MemberData(nameof(CorpusTemplates))]
    public void Every_corpus_template_renders_the_tool_round_trip_like_transformers(string file)
    {
        var r = Golden.Value.GetProperty("corpus").EnumerateArray().Single(x => x.GetProperty("template").GetString() == file);
        var template = ChatTemplate.Parse(TestData.Read(file));
        var options = new ChatTemplateOptions
        {
            BosToken = "<s>",
            EosToken = "</s>",
            Time = TestData.Clock(Golden.Value.GetProperty("now").GetString()!),
            Tools = Tools(),
        };
        var messages = Messages(Golden.Value.GetProperty("conversations").GetProperty("single"));
        if (r.TryGetProperty("expected", out var expected))
        {
            Assert.Equal(expected.GetString(), template.Render(messages, options));
        }
        else
        {
            var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages, options));
            if (!r.TryGetProperty("python_error", out _))
            {
                Assert.Equal(r.GetProperty("error").GetString(), e.Reason);
            }
        }
    }

    [Fact]
    public void Golden_covers_qwen_llama_and_mistral_with_single_and_parallel_calls()
    {
        var names = Golden.Value.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "qwen2.5", "llama3.1", "mistral-nemo" }, names);
        var qwen = Golden.Value.GetProperty("cases")[0].GetProperty("renders")[2];
        Assert.Equal("parallel", qwen.GetProperty("conversation").GetString());
        Assert.Contains("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"Europe/Paris\"}}\n</tool_call>", qwen.GetProperty("expected").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Qwen_renders_the_hermes_call_hand_checked()
    {
        // From the template's logic: calls follow "<|im_start|>assistant" as "\n<tool_call>\n" + {"name": ..., "arguments": args|tojson} +
        // "}\n</tool_call>", a tool result is a user turn of <tool_response> blocks.
        var template = ChatTemplate.Parse(TestData.Read("corpus/Qwen-Qwen2.5-7B-Instruct.jinja"));
        var messages = new[]
        {
            new ChatMessage("user", "Weather?"),
            new ChatMessage("assistant", "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}")] },
            new ChatMessage("tool", "sunny") { ToolCallId = "call_1" },
        };
        string text = template.Render(messages, new ChatTemplateOptions { Tools = Tools() });
        Assert.EndsWith(
            "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n<|im_start|>assistant\n", text, StringComparison.Ordinal);
        Assert.Contains("\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city\", \"parameters\": {\"type\": \"object\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_that_are_no_json_object_reach_the_template_as_text()
    {
        var messages = new[] { new ChatMessage("assistant", "") { ToolCalls = [new ChatToolCall("a", "f", "not json")] } };
        string text = ChatTemplate.Parse("{{ messages[0].tool_calls[0].function.arguments | tojson }}|{{ messages[0].content | tojson }}").Render(messages, new ChatTemplateOptions { AddGenerationPrompt = false });
        Assert.Equal("\"not json\"|\"\"", text);
    }

    [Fact]
    public void Messages_without_calls_have_no_tool_calls_key()
    {
        string text = ChatTemplate.Parse("{{ 'tool_calls' in messages[0] }} {{ 'tool_call_id' in messages[1] }} {{ messages[1].tool_call_id }}").Render(
            [new ChatMessage("assistant", "hi"), new ChatMessage("tool", "r") { ToolCallId = "x1" }], new ChatTemplateOptions { AddGenerationPrompt = false });
        Assert.Equal("False True x1", text);
    }

    [Fact]
    public void Dialects_are_detected_from_the_template_text()
    {
        Assert.Equal((ToolCallFamily.Hermes, true), Dialect("corpus/Qwen-Qwen2.5-7B-Instruct.jinja"));
        Assert.Equal((ToolCallFamily.Hermes, true), Dialect("corpus/NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja"));
        Assert.Equal((ToolCallFamily.Llama3, true), Dialect("corpus/meta-llama-Llama-3.1-8B-Instruct.jinja"));
        Assert.Equal((ToolCallFamily.Llama3, true), Dialect("corpus/meta-llama-Llama-3.3-70B-Instruct.jinja"));
        Assert.Equal((ToolCallFamily.Mistral, true), Dialect("corpus/mistralai-Mistral-Nemo-Instruct-2407.jinja"));
        Assert.Equal((ToolCallFamily.MistralArgs, true), Dialect("corpus/Mistral-Small-3.2-24B-Instruct-2506.jinja"));
        Assert.Equal((ToolCallFamily.MistralArgs, true), Dialect("corpus/unsloth-mistral-Devstral-Small-2507.jinja"));
        Assert.Equal((ToolCallFamily.Hermes, true), Dialect("corpus/Qwen-Qwen3-0.6B.jinja"));
        // Qwen3-Coder writes XML parameters inside <tool_call>: not parsed as JSON, so it gets the fallback.
        Assert.Equal((ToolCallFamily.Hermes, false), Dialect("corpus/Qwen3-Coder.jinja"));
        Assert.Equal((ToolCallFamily.Hermes, false), (ToolCallDialect.Detect(BuiltInTemplates.ChatML).Family, ToolCallDialect.Detect(BuiltInTemplates.ChatML).NativeTools));
    }

    private static (ToolCallFamily, bool) Dialect(string file)
    {
        var d = ToolCallDialect.Detect(TestData.Read(file));
        return (d.Family, d.NativeTools);
    }

    [Fact]
    public void Mistral_renders_openai_call_ids_shortened_to_nine_characters()
    {
        var template = ChatTemplate.Parse(TestData.Read("corpus/mistralai-Mistral-Nemo-Instruct-2407.jinja"));
        var dialect = ToolCallDialect.Detect(template);
        var messages = new[]
        {
            new ChatMessage("user", "Weather?"),
            new ChatMessage("assistant", "") { ToolCalls = [new ChatToolCall("call_Ab3dE5gH7jK9mN1pQ3sT5vX7", "get_weather", "{\"city\":\"Paris\"}")] },
            new ChatMessage("tool", "sunny") { ToolCallId = "call_Ab3dE5gH7jK9mN1pQ3sT5vX7" },
        };
        Assert.Throws<ChatTemplateException>(() => template.Render(messages, new ChatTemplateOptions { Tools = Tools() }));
        var (prepared, options) = dialect.Prepare(messages, Tools(), new ChatTemplateOptions { BosToken = "<s>", EosToken = "</s>" });
        string text = template.Render(prepared, options);
        Assert.Contains("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"pQ3sT5vX7\"}]</s>", text, StringComparison.Ordinal);
        Assert.EndsWith("[TOOL_RESULTS]{\"content\": sunny, \"call_id\": \"pQ3sT5vX7\"}[/TOOL_RESULTS]", text, StringComparison.Ordinal);
        Assert.Contains("[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_ids_are_padded_for_mistral()
    {
        Assert.Equal("0000abc12", ToolCallIds.ForMistral("abc-12"));
        Assert.Equal("abc123XYZ", ToolCallIds.ForMistral("abc123XYZ"));
        Assert.Matches("^call_[A-Za-z0-9]{24}$", ToolCallIds.New());
    }
}
