using CyLlm.ChatTemplates;
using CyLlm.Engine;
using CyLlm.Training.Data;

namespace CyLlm.Training.Tests.Data;

/// <summary>
/// OpenAI fine-tuning rows with function calling (<c>tools</c>, assistant <c>tool_calls</c>, <c>tool</c> turns):
/// checked field by field, rendered by the chat template exactly as a served request is, with the calls and answers
/// (not the tools, questions or tool results) as loss targets.
/// </summary>
public sealed class ToolRowTests
{
    private const string Tools = """[{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";

    private const string Call = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]}""";

    private static string Row(string messages, string? tools = Tools) =>
        tools is null ? $$"""{"messages":[{{messages}}]}""" : $$"""{"tools":{{tools}},"messages":[{{messages}}]}""";

    private static readonly string FullRow = Row(
        """{"role":"user","content":"Weather in Paris?"},""" + Call +
        """,{"role":"tool","tool_call_id":"call_1","content":"{\"condition\": \"rainy\"}"},{"role":"assistant","content":"It is rainy in Paris."}""");

    private static string TemplatePath => Path.Combine(DataTestPaths.RepoRoot, "models", "weather-tools", "chat_template.jinja");

    private static TrainingRenderer CompactRenderer() =>
        TrainingRenderer.Create(DataTestPaths.Llama2Tokenizer, null, File.ReadAllText(TemplatePath));

    private static string Targets(TrainingRenderer r, TrainingExample ex) =>
        r.Tokenizer.Decode(ex.Tokens.Where((_, i) => ex.LossMask[i]), skipSpecial: true);

    private static string Context(TrainingRenderer r, TrainingExample ex) =>
        r.Tokenizer.Decode(ex.Tokens.Where((_, i) => !ex.LossMask[i]), skipSpecial: true);

    private static TrainingExample ReadOne(TrainingRenderer r, string row) =>
        Assert.Single(new DatasetReader(DataTestPaths.TempFile("tools.jsonl", row + "\n"), r).ReadEpoch(DatasetPosition.Start));

    [Fact]
    public void ANativeToolTemplateTrainsTheCallAndTheAnswerNotTheToolsQuestionOrResult()
    {
        var r = CompactRenderer();
        Assert.Empty(DataTestFiles.Validate(FullRow + "\n", r).Errors);
        var ex = ReadOne(r, FullRow);

        string targets = Targets(r, ex);
        Assert.Contains("<tool_call>", targets);
        Assert.Contains("\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}", targets);
        Assert.Contains("It is rainy in Paris.", targets);
        Assert.DoesNotContain("<tools>", targets);
        Assert.DoesNotContain("Weather in Paris?", targets);
        Assert.DoesNotContain("<tool_response>", targets);

        string context = Context(r, ex);
        Assert.Contains("\"name\": \"get_weather\", \"description\": \"Get the weather\"", context); // the tools, as JSON
        Assert.Contains("<tool_response>{\"condition\": \"rainy\"}</tool_response>", context);
        // Each assistant turn ends with EOS, a target, so the model learns to stop after a call and after an answer.
        var eos = ex.Tokens.Select((t, i) => (t, i)).Where(x => x.t == r.Tokenizer.EosId).Select(x => x.i).ToList();
        Assert.Equal(2, eos.Count);
        Assert.All(eos, i => Assert.True(ex.LossMask[i]));
    }

    [Fact]
    public void ATemplateWithoutToolsGetsTheHermesFallbackServingUses()
    {
        var r = DataTestPaths.Renderer("chatml");
        var ex = ReadOne(r, FullRow);
        string context = Context(r, ex);
        Assert.Contains("You are provided with function signatures within <tools></tools> XML tags", context);
        Assert.Contains("<tool_response>", context);
        string targets = Targets(r, ex);
        Assert.Contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", targets);
        Assert.Contains("It is rainy in Paris.", targets);
    }

    [Fact]
    public void TrainingRendersThePromptTheEngineServes()
    {
        // The prompt before the first target is what InferenceEngine.EncodeChat gives a request with these tools, token
        // for token, for the template given by --chat-template: the adapter learns exactly what it will be shown.
        string template = File.ReadAllText(TemplatePath);
        using var engine = InferenceEngine.Load(DataTestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1, ChatTemplate = template });
        var r = TrainingRenderer.Create(engine.Model.Tokenizer!, null, template);
        var ex = ReadOne(r, FullRow);
        int first = Array.IndexOf(ex.LossMask, true);
        var tools = new[] { new ChatTool("get_weather", "Get the weather", System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement) };
        int[] served = engine.EncodeChat([new ChatMessage("user", "Weather in Paris?")], tools, "");
        Assert.Equal(served, ex.Tokens[..first]);
        Assert.Equal(ChatTemplateSelector.CustomTemplateName, engine.ChatTemplateName);
        Assert.Equal(CyLlm.ChatTemplates.Tools.ToolCallFamily.Hermes, engine.ToolDialect.Family);
        Assert.True(engine.ToolDialect.NativeTools);
    }

    [Theory]
    [InlineData("""{"role":"user","content":"hi"},{"role":"assistant","content":"x"},{"role":"tool","tool_call_id":"call_9","content":"r"},{"role":"assistant","content":"y"}""", "messages[2].tool_call_id")]
    [InlineData("""{"role":"user","content":"hi","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"assistant","content":"y"}""", "messages[0].tool_calls")]
    [InlineData("""{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}""", "messages[1].tool_calls[0].function.arguments")]
    [InlineData("""{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"arguments":"{}"}}]}""", "messages[1].tool_calls[0].function.name")]
    [InlineData("""{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}""", "messages[1].tool_calls[0].id")]
    [InlineData("""{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[]}""", "messages[1].tool_calls")]
    [InlineData("""{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"a","type":"function","function":{"name":"g","arguments":"{}"}}]}""", "messages[1].tool_calls[1].id")]
    [InlineData("""{"role":"user","content":"hi"},{"role":"tool","content":"r"},{"role":"assistant","content":"y"}""", "messages[1].tool_call_id")]
    public void MalformedToolTurnsAreReportedWithTheirField(string messages, string field)
    {
        var report = DataTestFiles.Validate(Row(messages) + "\n", DataTestPaths.Renderer("chatml"));
        var e = Assert.Single(report.Errors);
        Assert.Equal(field, e.Field);
        Assert.Equal(DatasetErrorKind.InvalidToolCall, e.Kind);
        Assert.Equal(0, report.ValidRows);
    }

    [Theory]
    [InlineData("""{"type":"function"}""", "tools")]
    [InlineData("""[{"type":"function","function":{"description":"no name"}}]""", "tools[0].function.name")]
    [InlineData("""[{"type":"retrieval","function":{"name":"f"}}]""", "tools[0].type")]
    [InlineData("""[{"type":"function","function":{"name":"f","parameters":"{}"}}]""", "tools[0].function.parameters")]
    [InlineData("""[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"f"}}]""", "tools[1].function.name")]
    public void MalformedToolsAreReportedWithTheirField(string tools, string field)
    {
        var report = DataTestFiles.Validate(Row("""{"role":"user","content":"hi"},{"role":"assistant","content":"y"}""", tools) + "\n", DataTestPaths.Renderer("chatml"));
        var e = Assert.Single(report.Errors);
        Assert.Equal(field, e.Field);
        Assert.Equal(0, report.ValidRows);
    }

    [Fact]
    public void ARowOfTheCommittedGeneratorIsValid()
    {
        // One line of scripts/tool-adapter/gen_data.py's output shape (arguments as JSON text, content null beside the call).
        var report = DataTestFiles.Validate(Row("""{"role":"user","content":"Is it sunny in Oslo?"},""" + Call.Replace("call_1", "call_0", StringComparison.Ordinal)) + "\n", CompactRenderer());
        Assert.Empty(report.Errors);
        Assert.Equal(1, report.ValidRows);
    }
}
