using System.Text.Json;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// Real chat templates (TestData/templates: Llama 2, Llama 3/3.1/3.2, Mistral v0.1/v0.2/v1/v3/Nemo, Qwen2.5 with and
/// without tools, SmolLM2, ChatML, Zephyr, TinyLlama, Gemma, Phi-3/3.5 and every template of llama.cpp's
/// tests/test-chat-template.cpp) rendered on llama.cpp's system/user/assistant/user/assistant/user conversation,
/// with and without add_generation_prompt. Expected text: TestData/golden, rendered by Jinja2 in transformers'
/// environment (TestData/generate_golden.py); where llama.cpp states an expected output, the generator checked it.
/// </summary>
public class GoldenTemplateTests
{
    public static IEnumerable<object[]> Renders()
    {
        foreach (var c in TestData.Manifest.GetProperty("cases").EnumerateArray())
        {
            int i = 0;
            foreach (var r in c.GetProperty("renders").EnumerateArray())
            {
                yield return [c.GetProperty("name").GetString()!, i++, r.GetProperty("conversation").GetString()!, r.GetProperty("add_generation_prompt").GetBoolean()];
            }
        }
    }

    public static IEnumerable<object[]> LlamaCppCases() =>
        TestData.Manifest.GetProperty("cases").EnumerateArray()
            .Where(c => c.TryGetProperty("llamacpp", out _))
            .Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(Renders))]
    public void Renders_like_transformers(string name, int index, string conversation, bool addGenerationPrompt)
    {
        var c = TestData.Case(name);
        var r = c.GetProperty("renders")[index];
        var template = ChatTemplate.Parse(TestData.Read(c.GetProperty("template").GetString()!));
        var options = new ChatTemplateOptions
        {
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = c.GetProperty("bos_token").GetString()!,
            EosToken = c.GetProperty("eos_token").GetString()!,
            Time = TestData.Clock(c.GetProperty("now").GetString()!),
            Variables = c.TryGetProperty("variables", out var v) ? TestData.Variables(v) : null,
        };
        var messages = TestData.Conversation(conversation);
        if (r.TryGetProperty("expected", out var expected))
        {
            Assert.Equal(TestData.Read(expected.GetString()!), template.Render(messages, options));
        }
        else
        {
            var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages, options));
            Assert.Equal(ChatTemplateErrorKind.RaisedByTemplate, e.Kind);
            Assert.Equal(r.GetProperty("error").GetString(), e.Reason);
        }
    }

    /// <summary>The expected outputs stated in llama.cpp's tests/test-chat-template.cpp (add_generation_prompt=true).</summary>
    [Theory]
    [MemberData(nameof(LlamaCppCases))]
    public void Matches_llama_cpp_expected_output(string name)
    {
        var c = TestData.Case(name);
        var l = c.GetProperty("llamacpp");
        var template = ChatTemplate.Parse(TestData.Read(c.GetProperty("template").GetString()!));
        string text = template.Render(TestData.Conversation(l.GetProperty("conversation").GetString()!), new ChatTemplateOptions
        {
            AddGenerationPrompt = true,
            BosToken = l.GetProperty("bos_token").GetString()!,
            EosToken = l.GetProperty("eos_token").GetString()!,
        });
        Assert.Equal(l.GetProperty("expected").GetString(), text);
    }

    [Fact]
    public void Golden_set_covers_the_required_models()
    {
        var names = TestData.Manifest.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToHashSet();
        foreach (var required in new[] { "llama2", "llama3", "llama3.1", "llama3.1-tools", "mistral", "mistral-v1", "mistral-v3", "qwen2", "qwen2-tools", "smollm2", "chatml", "zephyr", "gemma", "tinyllama", "phi3", "phi3.5", "phi4", "phi4-mini" })
        {
            Assert.Contains(required, names);
        }
    }

    [Fact]
    public void Llama31_skips_the_tools_block_without_tools_and_renders_it_with_tools()
    {
        var template = ChatTemplate.Parse(TestData.Read("templates/llama3.1.jinja"));
        var messages = TestData.Conversation("full");
        string plain = template.Render(messages);
        Assert.DoesNotContain("Environment: ipython", plain, StringComparison.Ordinal);
        Assert.Contains("Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful assistant<|eot_id|>", plain, StringComparison.Ordinal);
        var tools = TestData.Variables(TestData.Case("llama3.1-tools").GetProperty("variables"));
        string withTools = template.Render(messages, new ChatTemplateOptions { Variables = tools });
        Assert.Contains("Environment: ipython\n", withTools, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"get_weather\"", withTools, StringComparison.Ordinal);
    }

    [Fact]
    public void Llama32_dates_the_system_prompt_with_the_injected_clock()
    {
        var template = ChatTemplate.Parse(TestData.Read("templates/llama3.2.jinja"));
        string text = template.Render(TestData.Conversation("nosystem"), new ChatTemplateOptions { Time = TestData.Clock("2025-02-03T08:00:00") });
        Assert.Contains("Today Date: 03 Feb 2025\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Mistral_and_gemma_reject_a_system_turn_through_raise_exception()
    {
        var full = TestData.Conversation("full");
        var mistral = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(BuiltInTemplates.Mistral).Render(full));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", mistral.Message);
        Assert.Equal(ChatTemplateErrorKind.RaisedByTemplate, mistral.Kind);
        var gemma = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(BuiltInTemplates.Gemma).Render(full));
        Assert.Equal("System role not supported", gemma.Message);
        Assert.Equal(1, gemma.Line);
        Assert.True(gemma.Column > 1);
    }

    [Fact]
    public void Gemma_maps_assistant_to_model_and_starts_with_bos()
    {
        string text = ChatTemplate.Parse(BuiltInTemplates.Gemma).Render(TestData.Conversation("nosystem"), new ChatTemplateOptions { BosToken = "<bos>" });
        Assert.StartsWith("<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n", text, StringComparison.Ordinal);
        Assert.EndsWith("<start_of_turn>model\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_golden_file_is_used()
    {
        var used = TestData.Manifest.GetProperty("cases").EnumerateArray()
            .SelectMany(c => c.GetProperty("renders").EnumerateArray())
            .Where(r => r.TryGetProperty("expected", out _))
            .Select(r => Path.GetFileName(r.GetProperty("expected").GetString()!))
            .ToHashSet();
        var files = Directory.GetFiles(Path.Combine(TestData.Dir, "golden")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(files.Count, used.Count);
        Assert.True(files.SetEquals(used!));
    }

    [Fact]
    public void Manifest_records_its_generator()
    {
        Assert.StartsWith("generate_golden.py", TestData.Manifest.GetProperty("generator").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, TestData.Manifest.GetProperty("cases").ValueKind);
    }
}
