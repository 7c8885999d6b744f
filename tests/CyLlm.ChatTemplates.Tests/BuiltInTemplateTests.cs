namespace CyLlm.ChatTemplates.Tests;

/// <summary>The built-in fallbacks are the real model templates, and the selector picks the right one.</summary>
public class BuiltInTemplateTests
{
    [Theory]
    [InlineData("chatml")]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("mistral")]
    [InlineData("zephyr")]
    [InlineData("gemma")]
    [InlineData("qwen2")]
    [InlineData("smollm2")]
    [InlineData("phi3.5")]
    public void Built_in_sources_are_the_verified_model_templates(string name)
    {
        // TestData/templates hold the sources the golden tests verify against Jinja2 (and llama.cpp where it has them).
        Assert.Equal(TestData.Read($"templates/{name}.jinja"), BuiltInTemplates.All[name]);
        Assert.True(BuiltInTemplates.TryGet(name.ToUpperInvariant(), out var source));
        Assert.Same(BuiltInTemplates.All[name], source);
        Assert.NotNull(ChatTemplate.Parse(source));
    }

    [Fact]
    public void Named_accessors_and_names_agree()
    {
        Assert.Equal(["chatml", "llama2", "llama3", "mistral", "zephyr", "gemma", "qwen2", "smollm2", "phi3.5"], BuiltInTemplates.Names);
        Assert.Equal(BuiltInTemplates.Names.Count, BuiltInTemplates.All.Count);
        Assert.Same(BuiltInTemplates.All["chatml"], BuiltInTemplates.ChatML);
        Assert.Same(BuiltInTemplates.All["llama2"], BuiltInTemplates.Llama2);
        Assert.Same(BuiltInTemplates.All["llama3"], BuiltInTemplates.Llama3);
        Assert.Same(BuiltInTemplates.All["mistral"], BuiltInTemplates.Mistral);
        Assert.Same(BuiltInTemplates.All["zephyr"], BuiltInTemplates.Zephyr);
        Assert.Same(BuiltInTemplates.All["gemma"], BuiltInTemplates.Gemma);
        Assert.Same(BuiltInTemplates.All["qwen2"], BuiltInTemplates.Qwen2);
        Assert.Same(BuiltInTemplates.All["smollm2"], BuiltInTemplates.SmolLM2);
        Assert.Same(BuiltInTemplates.All["phi3.5"], BuiltInTemplates.Phi35);
        Assert.False(BuiltInTemplates.TryGet("nope", out _));
    }

    [Fact]
    public void ChatML_renders_with_and_without_the_generation_prompt()
    {
        var t = ChatTemplate.Parse(BuiltInTemplates.ChatML);
        ChatMessage[] chat = [new("system", "S"), new("user", "Hello")];
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", t.Render(chat));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n", t.Render(chat, new ChatTemplateOptions { AddGenerationPrompt = false }));
    }

    [Fact]
    public void Qwen2_adds_its_default_system_prompt_only_when_none_is_given()
    {
        var t = ChatTemplate.Parse(BuiltInTemplates.Qwen2);
        Assert.StartsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", t.Render([new("user", "Hi")]), StringComparison.Ordinal);
        Assert.StartsWith("<|im_start|>system\nMine<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", t.Render([new("system", "Mine"), new("user", "Hi")]), StringComparison.Ordinal);
    }

    [Fact]
    public void SmolLM2_adds_its_default_system_prompt()
    {
        string text = ChatTemplate.Parse(BuiltInTemplates.SmolLM2).Render([new("user", "Hi")]);
        Assert.Equal("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Selector_prefers_the_model_template()
    {
        var (own, name) = ChatTemplateSelector.Resolve("{{ messages[0].content }}", "gemma");
        Assert.Equal(ChatTemplateSelector.ModelTemplateName, name);
        Assert.Equal("x", own.Render([new("user", "x")]));
        var selection = ChatTemplateSelector.Select("{{ messages[0].content }}");
        Assert.True(selection.IsModelTemplate);
        Assert.Null(selection.FallbackReason);
    }

    [Theory]
    [InlineData(null, null, "chatml")]
    [InlineData("", "llama", "chatml")]
    [InlineData("   ", "gemma2", "gemma")]
    [InlineData(null, "gemma3", "gemma")]
    [InlineData(null, "qwen2", "qwen2")]
    [InlineData(null, "qwen2moe", "qwen2")]
    [InlineData(null, "Llama3", "llama3")]
    [InlineData(null, "llama-3.1", "llama3")]
    [InlineData(null, "llama2", "llama2")]
    [InlineData(null, "mistral", "mistral")]
    [InlineData(null, "mixtral", "mistral")]
    [InlineData(null, "zephyr", "zephyr")]
    [InlineData(null, "TinyLlama", "zephyr")]
    [InlineData(null, "SmolLM", "smollm2")]
    [InlineData(null, "smollm2", "smollm2")]
    [InlineData(null, "phi3", "phi3.5")]
    [InlineData(null, "Phi-3.5-mini", "phi3.5")]
    [InlineData(null, "unknown-arch", "chatml")]
    public void Selector_falls_back_by_architecture(string? modelTemplate, string? hint, string expected)
    {
        var (template, name) = ChatTemplateSelector.Resolve(modelTemplate, hint);
        Assert.Equal(expected, name);
        Assert.Equal(expected, ChatTemplateSelector.FallbackNameFor(hint));
        Assert.Equal(BuiltInTemplates.All[expected], template.Source);
        var selection = ChatTemplateSelector.Select(modelTemplate, hint);
        Assert.False(selection.IsModelTemplate);
        Assert.Contains("no chat template", selection.FallbackReason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unparseable_model_template_falls_back_and_says_why()
    {
        var selection = ChatTemplateSelector.Select("{% if messages %}never closed", "llama3");
        Assert.Equal("llama3", selection.Name);
        Assert.False(selection.IsModelTemplate);
        Assert.Contains("endif", selection.FallbackReason, StringComparison.Ordinal);
        Assert.Equal("llama3", ChatTemplateSelector.Resolve("{% if messages %}never closed", "llama3").Name);
    }

    [Fact]
    public void Named_built_ins_parse_once_and_unknown_names_fail()
    {
        Assert.Same(ChatTemplateSelector.Named("gemma"), ChatTemplateSelector.Named("GEMMA"));
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplateSelector.Named("nope"));
        Assert.Contains("chatml", e.Message, StringComparison.Ordinal);
    }
}
