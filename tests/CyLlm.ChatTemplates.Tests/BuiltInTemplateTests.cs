using CyLlm.ChatTemplates;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// The real templates of popular models rendered on one conversation. Expected strings follow the formats
/// documented with the models (and llama.cpp's tests/test-chat-template.cpp, which renders the same
/// templates through Python's Jinja).
/// </summary>
public class BuiltInTemplateTests
{
    private static readonly ChatMessage[] WithSystem =
    [
        new("system", "You are a helpful assistant"),
        new("user", "Hello"),
        new("assistant", "Hi there"),
        new("user", "Who are you"),
    ];

    private static readonly ChatMessage[] NoSystem = WithSystem[1..];

    private static string Render(string template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true) =>
        ChatTemplate.Parse(template).Render(messages, new ChatTemplateOptions { AddGenerationPrompt = addGenerationPrompt, BosToken = "<s>", EosToken = "</s>" });

    [Fact]
    public void ChatML() => Assert.Equal(
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n",
        Render(BuiltInTemplates.ChatML, WithSystem));

    [Fact]
    public void ChatML_without_generation_prompt() => Assert.Equal(
        "<|im_start|>user\nHello<|im_end|>\n",
        Render(BuiltInTemplates.ChatML, [new("user", "Hello")], addGenerationPrompt: false));

    [Fact]
    public void Llama2() => Assert.Equal(
        "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST]",
        Render(BuiltInTemplates.Llama2, WithSystem));

    [Fact]
    public void Llama3() => Assert.Equal(
        "<s><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        Render(BuiltInTemplates.Llama3, WithSystem));

    [Fact]
    public void Mistral() => Assert.Equal(
        "<s>[INST] Hello [/INST]Hi there</s>[INST] Who are you [/INST]",
        Render(BuiltInTemplates.Mistral, NoSystem));

    [Fact]
    public void Mistral_rejects_a_system_role_through_raise_exception()
    {
        var e = Assert.Throws<ChatTemplateException>(() => Render(BuiltInTemplates.Mistral, WithSystem));
        Assert.Contains("Conversation roles must alternate", e.Message);
    }

    [Fact]
    public void Zephyr() => Assert.Equal(
        "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n",
        Render(BuiltInTemplates.Zephyr, WithSystem));

    [Fact]
    public void Gemma() => Assert.Equal(
        "<s><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\n",
        Render(BuiltInTemplates.Gemma, NoSystem));

    [Fact]
    public void Qwen2_adds_its_default_system_prompt() => Assert.Equal(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n",
        Render(BuiltInTemplates.Qwen2, NoSystem));

    [Fact]
    public void Qwen2_uses_the_given_system_prompt() => Assert.StartsWith(
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n",
        Render(BuiltInTemplates.Qwen2, WithSystem));

    [Fact]
    public void SmolLM2() => Assert.Equal(
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n",
        Render(BuiltInTemplates.SmolLM2, NoSystem));

    [Fact]
    public void Selector_prefers_the_model_template_and_falls_back_to_chatml()
    {
        var (own, name) = ChatTemplateSelector.Resolve("{{ messages[0].content }}");
        Assert.Equal("model", name);
        Assert.Equal("x", own.Render([new("user", "x")]));
        var (fallback, fname) = ChatTemplateSelector.Resolve(null);
        Assert.Equal("chatml", fname);
        Assert.Contains("<|im_start|>user", fallback.Render([new("user", "x")]));
        Assert.Equal("gemma", ChatTemplateSelector.Resolve("ignored", "gemma").Name);
        Assert.Throws<ChatTemplateException>(() => ChatTemplateSelector.Resolve(null, "nope"));
    }
}
