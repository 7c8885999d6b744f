using System.Text.Json;
using CyLlm.ChatTemplates.Tools;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>The Hermes fallback for templates without tools, and the tool-call grammar text.</summary>
public class ToolFallbackAndGrammarTests
{
    private static readonly List<ChatTool> Tools = [new("get_weather", "Weather", JsonDocument.Parse("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}").RootElement.Clone())];

    [Fact]
    public void Fallback_renders_tools_calls_and_results_through_chatml()
    {
        var messages = new[]
        {
            new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Weather?"),
            new ChatMessage("assistant", "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"), new ChatToolCall("call_2", "get_weather", "{\"city\":\"Rome\"}")] },
            new ChatMessage("tool", "sunny") { ToolCallId = "call_1" },
            new ChatMessage("tool", "rainy") { ToolCallId = "call_2" },
        };
        var dialect = ToolCallDialect.Detect(BuiltInTemplates.ChatML);
        Assert.False(dialect.NativeTools);
        var (prepared, options) = dialect.Prepare(messages, Tools, new ChatTemplateOptions());
        string text = ChatTemplate.Parse(BuiltInTemplates.ChatML).Render(prepared, options);
        const string Expected =
            "<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}\n</tools>\n\n" +
            "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Rome\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrainy\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n";
        Assert.Equal(Expected, text);
    }

    [Fact]
    public void Fallback_adds_a_system_turn_when_there_is_none_and_leaves_plain_chats_alone()
    {
        var plain = new[] { new ChatMessage("user", "Hi") };
        Assert.Equal(plain, ToolPromptFallback.Rewrite(plain, null));
        var withTools = ToolPromptFallback.Rewrite(plain, Tools);
        Assert.Equal(2, withTools.Count);
        Assert.Equal("system", withTools[0].Role);
        Assert.StartsWith("# Tools\n", withTools[0].Content, StringComparison.Ordinal);
    }

    private static (string Rules, string Root) FakeSchema(JsonElement schema, string prefix) =>
        ($"{prefix}root ::= \"{{}}\"  # {schema.GetProperty("type").GetString()}", prefix + "root");

    [Fact]
    public void Grammar_for_a_named_hermes_call()
    {
        string g = ToolCallGrammar.Build(ToolCallFamily.Hermes, Tools, new ToolChoice(ToolChoiceMode.Function, "get_weather"), parallel: true, FakeSchema);
        Assert.Equal(
            "tool0-root ::= \"{}\"  # object\n" +
            "tool0 ::= \"{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": \" tool0-root \"}\"\n" +
            "call ::= tool0\n" +
            "root ::= tagged (\"\\n\" tagged)*\n" +
            "tagged ::= \"<tool_call>\\n\" call \"\\n</tool_call>\"\n", g);
    }

    [Fact]
    public void Grammar_for_required_calls_in_each_family()
    {
        var two = new List<ChatTool>(Tools) { new("noop") };
        string mistral = ToolCallGrammar.Build(ToolCallFamily.Mistral, two, ToolChoice.Required, parallel: false, FakeSchema);
        Assert.Contains("call ::= tool0 | tool1\n", mistral, StringComparison.Ordinal);
        Assert.EndsWith("root ::= \"[TOOL_CALLS][\" call \"]\"\n", mistral, StringComparison.Ordinal);
        Assert.Contains("tool1-root ::= \"{}\"  # object", mistral, StringComparison.Ordinal);
        string named = ToolCallGrammar.Build(ToolCallFamily.MistralArgs, two, ToolChoice.Required, parallel: true, FakeSchema);
        Assert.Contains("tool0 ::= \"get_weather[ARGS]\" tool0-root\n", named, StringComparison.Ordinal);
        Assert.EndsWith("root ::= (\"[TOOL_CALLS]\" call)+\n", named, StringComparison.Ordinal);
        string llama = ToolCallGrammar.Build(ToolCallFamily.Llama3, two, ToolChoice.Required, parallel: true, FakeSchema);
        Assert.Contains("\\\"parameters\\\": \" tool0-root", llama, StringComparison.Ordinal);
        Assert.EndsWith("root ::= call\n", llama, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ToolCallGrammar.Build(ToolCallFamily.Hermes, two, ToolChoice.Auto, true, FakeSchema));
        Assert.Throws<ArgumentException>(() => ToolCallGrammar.Build(ToolCallFamily.Hermes, two, new ToolChoice(ToolChoiceMode.Function, "missing"), true, FakeSchema));
    }
}
