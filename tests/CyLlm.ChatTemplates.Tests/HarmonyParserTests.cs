using System.Text;
using CyLlm.ChatTemplates.Tools;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// gpt-oss's harmony output (<see cref="HarmonyParser"/>): the analysis channel is reasoning, the final channel (and
/// commentary without a recipient) content, a commentary message to functions.NAME a tool call; the same outputs fed
/// whole, split at every index, one character at a time and in seeded random chunks give the same result, and no
/// delta ever carries header markup. The real gpt-oss template is detected as the harmony dialect.
/// </summary>
public class HarmonyParserTests
{
    private const string Thinking = "<|channel|>analysis<|message|>The user asks about the weather. I should answer briefly.<|end|>";

    public static IEnumerable<object[]> Cases() =>
    [
        // output, expected content (null: none), expected reasoning (null: none), expected calls "name:args" joined by '|'
        [Thinking + "<|start|>assistant<|channel|>final<|message|>It is sunny in Paris.<|return|>", "It is sunny in Paris.", "The user asks about the weather. I should answer briefly.", ""],
        // Without the closing token (generation stops on <|return|>, an end-of-generation token the text may not carry).
        [Thinking + "<|start|>assistant<|channel|>final<|message|>It is sunny.", "It is sunny.", "The user asks about the weather. I should answer briefly.", ""],
        // A tool call as the model writes it, channel first.
        [Thinking + "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>", null!, "The user asks about the weather. I should answer briefly.", "get_weather:{\"city\": \"Paris\"}"],
        // Recipient first, as the template renders past calls; no reasoning.
        [" to=functions.get_time<|channel|>commentary json<|message|>{\"zone\": \"Europe/Paris\"}<|call|>", null!, null!, "get_time:{\"zone\": \"Europe/Paris\"}"],
        // A preamble on the commentary channel is shown to the user, then the call.
        ["<|channel|>commentary<|message|>Checking the forecast.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Rome\"}<|call|>", "Checking the forecast.", null!, "get_weather:{\"city\": \"Rome\"}"],
        // Only an answer, with text that looks like markup but is not a terminator.
        ["<|channel|>final<|message|>Use <|e or <| and < freely: 2 < 3.<|return|>", "Use <|e or <| and < freely: 2 < 3.", null!, ""],
        // Cut off by max_tokens inside the reasoning: what came is reasoning, no content.
        ["<|channel|>analysis<|message|>Let me think about", null!, "Let me think about", ""],
        // A call whose arguments are not JSON comes back as content.
        ["<|channel|>commentary to=functions.f <|constrain|>json<|message|>not json<|call|>", "not json", null!, ""],
        // A model that ignores the format: everything is content.
        ["Plain answer without channels.", "Plain answer without channels.", null!, ""],
        // An unterminated call (cut off) that parses is a call.
        ["<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\": [1, 2]}", null!, null!, "f:{\"a\": [1, 2]}"],
    ];

    private static HarmonyParser Parser()
    {
        int n = 0;
        return new HarmonyParser(() => "call_" + (n++).ToString("D24", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static (string? Content, string? Reasoning, string Calls) Feed(IEnumerable<string> deltas)
    {
        var p = Parser();
        var events = deltas.SelectMany(p.Push).ToList();
        events.AddRange(p.Finish());
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<string>();
        bool hasContent = false, hasReasoning = false;
        foreach (var e in events)
        {
            if (e.Call is { } c)
            {
                calls.Add($"{c.Name}:{c.Arguments}");
                continue;
            }

            string text = e.Reasoning ?? e.Content!;
            // No delta carries header or terminator markup.
            Assert.DoesNotContain("<|message|>", text);
            Assert.DoesNotContain("<|channel|>", text);
            Assert.DoesNotContain("<|end|>", text);
            Assert.DoesNotContain("<|return|>", text);
            if (e.Reasoning is not null)
            {
                reasoning.Append(e.Reasoning);
                hasReasoning = true;
            }
            else
            {
                content.Append(e.Content);
                hasContent = true;
            }
        }

        return (hasContent ? content.ToString() : null, hasReasoning ? reasoning.ToString() : null, string.Join("|", calls));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Whole_outputs_split_into_content_reasoning_and_calls(string output, string? content, string? reasoning, string calls)
    {
        Assert.Equal((content, reasoning, calls), Feed([output]));
        var (c, r, list) = ToolCallParser.Split(Parser(), output);
        Assert.Equal(calls, string.Join("|", list.Select(x => $"{x.Name}:{x.Arguments}")));
        Assert.Equal(reasoning, r);
        Assert.Equal(content ?? (list.Count > 0 ? null : ""), c);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streamed_outputs_give_the_same_result_at_every_split(string output, string? content, string? reasoning, string calls)
    {
        for (int i = 0; i <= output.Length; i++)
        {
            Assert.Equal((content, reasoning, calls), Feed([output[..i], output[i..]]));
        }

        Assert.Equal((content, reasoning, calls), Feed(output.Select(ch => ch.ToString())));
        var rng = new Random(output.Length);
        for (int trial = 0; trial < 20; trial++)
        {
            var chunks = new List<string>();
            for (int i = 0; i < output.Length;)
            {
                int n = Math.Min(output.Length - i, rng.Next(1, 12));
                chunks.Add(output.Substring(i, n));
                i += n;
            }

            Assert.Equal((content, reasoning, calls), Feed(chunks));
        }
    }

    [Fact]
    public void Reasoning_streams_before_the_answer_as_it_is_generated()
    {
        var p = Parser();
        Assert.Empty(p.Push("<|channel|>analys"));
        Assert.Empty(p.Push("is<|message|>"));
        var first = p.Push("Think");
        Assert.Equal([ToolParseEvent.Thinking("Think")], first);
        // "<|e" may be the start of <|end|>: held back until decided.
        Assert.Equal([ToolParseEvent.Thinking("ing ")], p.Push("ing <|e"));
        Assert.Empty(p.Push("nd|><|start|>assistant<|channel|>final<|message|>"));
        Assert.Equal([ToolParseEvent.Text("Hi")], p.Push("Hi"));
        Assert.Empty(p.Finish());
    }

    [Fact]
    public void Where_no_calls_are_allowed_a_call_is_content_and_the_channels_still_split()
    {
        var dialect = ToolCallDialect.Detect(TestData.Read("corpus/openai-gpt-oss-120b.jinja"));
        var (content, reasoning, calls) = ToolCallParser.Split(dialect.CreateChannelParser(),
            "<|channel|>analysis<|message|>Use the tool.<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\": 1}<|call|>");
        Assert.Empty(calls);
        Assert.Equal("{\"a\": 1}", content);
        Assert.Equal("Use the tool.", reasoning);
        Assert.Throws<InvalidOperationException>(() => ToolCallDialect.Detect(TestData.Read("corpus/Qwen-Qwen3-0.6B.jinja")).CreateChannelParser());
    }

    [Fact]
    public void Two_calls_get_indices_and_distinct_ids()
    {
        var (_, _, calls) = ToolCallParser.Split(new HarmonyParser(),
            "<|channel|>commentary to=functions.a <|constrain|>json<|message|>{}<|call|><|start|>assistant<|channel|>commentary to=functions.b <|constrain|>json<|message|>{\"x\": 1}<|call|>");
        Assert.Equal([(0, "a"), (1, "b")], calls.Select(c => (c.Index, c.Name)));
        Assert.All(calls, c => Assert.Matches("^call_[A-Za-z0-9]{24}$", c.Id));
        Assert.NotEqual(calls[0].Id, calls[1].Id);
    }

    [Fact]
    public void The_gpt_oss_template_is_the_harmony_dialect_and_every_reply_is_parsed()
    {
        var dialect = ToolCallDialect.Detect(TestData.Read("corpus/openai-gpt-oss-120b.jinja"));
        Assert.Equal(ToolCallFamily.Harmony, dialect.Family);
        Assert.True(dialect.NativeTools);
        Assert.True(dialect.ParsesEveryReply);
        Assert.IsType<HarmonyParser>(dialect.CreateParser());
        Assert.False(ToolCallDialect.Detect(TestData.Read("corpus/Qwen-Qwen3-0.6B.jinja")).ParsesEveryReply);
    }

    [Fact]
    public void A_forced_prefix_fed_first_completes_the_named_call()
    {
        var dialect = ToolCallDialect.Detect(TestData.Read("corpus/openai-gpt-oss-120b.jinja"));
        string prefix = dialect.GenerationPrefix(new ToolChoice(ToolChoiceMode.Function, "get_weather"));
        Assert.Equal((null, null, "get_weather:{\"city\": \"Paris\"}"), Feed([prefix, "{\"city\": \"Paris\"}<|call|>"]));
        Assert.StartsWith(dialect.GenerationPrefix(ToolChoice.Required), prefix, StringComparison.Ordinal);
    }

    [Fact]
    public void The_call_grammar_writes_the_commentary_channel_and_the_recipient()
    {
        var tools = new[] { new ChatTool("get_weather", null, null) };
        string gbnf = ToolCallGrammar.Build(ToolCallFamily.Harmony, tools, ToolChoice.Required, parallel: true, (_, prefix) => ($"{prefix}obj ::= \"{{}}\"", $"{prefix}obj"));
        Assert.Contains("root ::= \"<|channel|>commentary\" call", gbnf);
        Assert.Contains("tool0 ::= \" to=functions.get_weather <|constrain|>json<|message|>\" tool0-obj", gbnf);
    }
}
