using System.Text.Json;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// The real gpt-oss template (corpus/openai-gpt-oss-120b.jinja) rendered by CyLlm's interpreter on the harmony turns a
/// gateway request produces, against Jinja2's output in transformers' environment (hf_env.py, pasted here): the system
/// header with the date and the tools' channel note, the system (or developer) message as the developer's
/// "# Instructions" with the tools as a TypeScript namespace, an assistant call on the commentary channel to
/// functions.NAME, and its result as a functions.NAME message to the assistant. tools.json covers more conversations.
/// </summary>
public class GptOssTemplateTests
{
    private static readonly ChatTemplate Template = ChatTemplate.Parse(TestData.Read("corpus/openai-gpt-oss-120b.jinja"));

    private static ChatTemplateOptions Options(IReadOnlyList<ChatTool>? tools = null) => new()
    {
        AddGenerationPrompt = true,
        BosToken = "<|startoftext|>",
        EosToken = "<|return|>",
        Time = TestData.Clock("2026-12-07T10:00:00"),
        Tools = tools,
    };

    [Fact]
    public void One_user_turn_renders_the_system_header_and_opens_the_assistant()
    {
        Assert.Equal(
            "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2026-12-07\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|><|start|>user<|message|>Hi<|end|><|start|>assistant",
            Template.Render([new ChatMessage("user", "Hi")], Options()));
    }

    [Fact]
    public void System_instructions_tools_a_call_and_its_result_render_like_jinja2()
    {
        var tools = new[] { new ChatTool("get_weather", "Get the weather", JsonDocument.Parse("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}").RootElement.Clone()) };
        ChatMessage[] messages =
        [
            new("system", "Answer in French."),
            new("user", "Weather in Paris?"),
            new("assistant", "") { ToolCalls = [new ChatToolCall("abc123XYZ", "get_weather", "{\"city\": \"Paris\"}")] },
            new("tool", "sunny") { ToolCallId = "abc123XYZ" },
        ];
        Assert.Equal(
            "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2026-12-07\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.\nCalls to these tools must go to the commentary channel: 'functions'.<|end|>"
            + "<|start|>developer<|message|># Instructions\n\nAnswer in French.\n\n# Tools\n\n## functions\n\nnamespace functions {\n\n// Get the weather\ntype get_weather = (_: {\ncity: string,\n}) => any;\n\n} // namespace functions<|end|>"
            + "<|start|>user<|message|>Weather in Paris?<|end|>"
            + "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{\"city\": \"Paris\"}<|call|>"
            + "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>\"sunny\"<|end|><|start|>assistant",
            Template.Render(messages, Options(tools)));
    }
}
