using System.Text;
using CyLlm.ChatTemplates.Tools;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// The streaming tool-call parsers: whole outputs, and the same outputs fed in every split at one index, every
/// split into single characters and seeded random splits, must give the same content and calls; content deltas
/// never carry any part of a call's markup; malformed calls come back as content.
/// </summary>
public class ToolCallParserTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        // family, output, expected content (null: none), expected calls "name:args" joined by '|'
        [ToolCallFamily.Hermes, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", null!, "get_weather:{\"city\": \"Paris\"}"],
        [ToolCallFamily.Hermes, "Let me check.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": \"</tool\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>", "Let me check.", "a:{\"x\": \"</tool\"}|b:{}"],
        [ToolCallFamily.Hermes, "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"k\": [1, {\"z\": null}]}}", null!, "a:{\"k\": [1, {\"z\": null}]}"],
        [ToolCallFamily.Hermes, "No tools needed: 2 < 3 and <b>bold</b>.", "No tools needed: 2 < 3 and <b>bold</b>.", ""],
        [ToolCallFamily.Hermes, "<tool_call>\n{\"name\": \"a\", \"arguments\": {bad json}}\n</tool_call>", "<tool_call>\n{\"name\": \"a\", \"arguments\": {bad json}}\n</tool_call>", ""],
        [ToolCallFamily.Hermes, "ends with a partial marker <tool_ca", "ends with a partial marker <tool_ca", ""],
        [ToolCallFamily.Hermes, "<tool_call>{\"name\": \"a\", \"arguments\": \"{\\\"q\\\": 1}\"}</tool_call> then text", " then text", "a:{\"q\": 1}"],
        [ToolCallFamily.Llama3, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", null!, "get_weather:{\"city\": \"Paris\"}"],
        [ToolCallFamily.Llama3, "<|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": \"}{\"}}", null!, "f:{\"a\": \"}{\"}"],
        [ToolCallFamily.Llama3, "  Plain {answer} here", "  Plain {answer} here", ""],
        [ToolCallFamily.Llama3, "{\"answer\": 42}", "{\"answer\": 42}", ""],
        [ToolCallFamily.Llama3, "{\"name\": \"f\", \"parameters\": {\"a\": 1", "{\"name\": \"f\", \"parameters\": {\"a\": 1", ""],
        [ToolCallFamily.Mistral, "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", \"arguments\": {\"y\": \"]\"}, \"id\": \"abc123XYZ\"}]", null!, "a:{\"x\": 1}|b:{\"y\": \"]\"}"],
        [ToolCallFamily.Mistral, "Sure [TOOL_CALLS] is a token", "Sure [TOOL_CALLS] is a token", ""],
        [ToolCallFamily.Mistral, " [{\"name\": \"a\", \"arguments\": {}}]", null!, "a:{}"],
        [ToolCallFamily.Mistral, "[1, 2] is a list", "[1, 2] is a list", ""],
        [ToolCallFamily.MistralArgs, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"[ARGS]\"}[TOOL_CALLS]get_time[CALL_ID]abc123XYZ[ARGS]{}", null!, "get_weather:{\"city\": \"[ARGS]\"}|get_time:{}"],
        [ToolCallFamily.MistralArgs, "Text first.[TOOL_CALLS]f[ARGS]{\"a\": 1} and after", "Text first. and after", "f:{\"a\": 1}"],
        [ToolCallFamily.MistralArgs, "[TOOL_CALLS]f[ARGS]not json", "[TOOL_CALLS]f[ARGS]not json", ""],
        [ToolCallFamily.MistralArgs, "[TOOL_CALLS]no args marker\nat all", "[TOOL_CALLS]no args marker\nat all", ""],
        [ToolCallFamily.Mistral, "[TOOL_CALLS][{\"arguments\": {}}]", "[TOOL_CALLS][{\"arguments\": {}}]", ""],
    ];

    private static IToolCallParser Parser(ToolCallFamily family)
    {
        int n = 0;
        return new ToolCallParser(family, () => "call_" + (n++).ToString("D24", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static (string? Content, string Calls, List<string> ContentDeltas) Feed(ToolCallFamily family, IEnumerable<string> deltas)
    {
        var p = Parser(family);
        var content = new StringBuilder();
        var contentDeltas = new List<string>();
        var calls = new List<ParsedToolCall>();
        // Push every delta before Finish (SelectMany is lazy; Finish must come last).
        var events = deltas.SelectMany(p.Push).ToList();
        events.AddRange(p.Finish());
        foreach (var e in events)
        {
            if (e.Call is { } c)
            {
                calls.Add(c);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(e.Content));
                content.Append(e.Content);
                contentDeltas.Add(e.Content!);
            }
        }

        for (int i = 0; i < calls.Count; i++)
        {
            Assert.Equal(i, calls[i].Index);
            Assert.Equal("call_" + i.ToString("D24", System.Globalization.CultureInfo.InvariantCulture), calls[i].Id);
        }

        return (content.Length == 0 && calls.Count > 0 ? null : content.ToString(), string.Join("|", calls.Select(c => c.Name + ":" + c.Arguments)), contentDeltas);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Whole_output(ToolCallFamily family, string text, string? content, string calls)
    {
        var (c, k, _) = Feed(family, [text]);
        Assert.Equal(content, c);
        Assert.Equal(calls, k);
        var (c2, list) = ToolCallParser.ParseAll(Parser(family), text);
        Assert.Equal(content, c2);
        Assert.Equal(calls, string.Join("|", list.Select(x => x.Name + ":" + x.Arguments)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_two_way_split_and_single_characters_agree(ToolCallFamily family, string text, string? content, string calls)
    {
        for (int i = 0; i <= text.Length; i++)
        {
            var (c, k, deltas) = Feed(family, [text[..i], text[i..]]);
            Assert.Equal(content, c);
            Assert.Equal(calls, k);
            AssertNoMarkupLeaks(calls, deltas);
        }

        var (c1, k1, d1) = Feed(family, text.Select(ch => ch.ToString()));
        Assert.Equal(content, c1);
        Assert.Equal(calls, k1);
        AssertNoMarkupLeaks(calls, d1);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Seeded_random_splits_agree(ToolCallFamily family, string text, string? content, string calls)
    {
        var rng = new Random(1234);
        for (int round = 0; round < 200; round++)
        {
            var deltas = new List<string>();
            int at = 0;
            while (at < text.Length)
            {
                int len = Math.Min(text.Length - at, rng.Next(0, 8));
                deltas.Add(text.Substring(at, len));
                at += len;
            }

            var (c, k, d) = Feed(family, deltas);
            Assert.Equal(content, c);
            Assert.Equal(calls, k);
            AssertNoMarkupLeaks(calls, d);
        }
    }

    /// <summary>When the output is calls, no content delta may hold any piece of a marker (held back until decided).</summary>
    private static void AssertNoMarkupLeaks(string calls, List<string> deltas)
    {
        if (calls.Length == 0)
        {
            return;
        }

        foreach (var d in deltas)
        {
            foreach (var marker in new[] { "<tool_call>", "</tool_call>", "[TOOL_CALLS]", "<|python_tag|>" })
            {
                for (int n = 2; n <= marker.Length; n++)
                {
                    Assert.DoesNotContain(marker[..n], d, StringComparison.Ordinal);
                }
            }

            Assert.DoesNotContain("\"name\"", d, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Whitespace_between_and_after_calls_is_not_content()
    {
        var (content, calls) = ToolCallParser.ParseAll(Parser(ToolCallFamily.Hermes), "\n<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>\n\n<tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>\n");
        Assert.Null(content);
        Assert.Equal(["a", "b"], calls.Select(c => c.Name));
        var (plain, none) = ToolCallParser.ParseAll(Parser(ToolCallFamily.Hermes), "  \n ");
        Assert.Equal("  \n ", plain);
        Assert.Empty(none);
    }

    [Fact]
    public void A_forced_prefix_fed_first_completes_the_named_call()
    {
        foreach (var family in new[] { ToolCallFamily.Hermes, ToolCallFamily.Llama3, ToolCallFamily.Mistral, ToolCallFamily.MistralArgs })
        {
            var dialect = ToolCallDialect.Detect(family switch
            {
                ToolCallFamily.Hermes => "tools <tool_call> \"name\"",
                ToolCallFamily.Llama3 => "tools <|python_tag|>",
                ToolCallFamily.Mistral => "tools [TOOL_CALLS]",
                _ => "tools [TOOL_CALLS] [ARGS]",
            });
            Assert.Equal(family, dialect.Family);
            string prefix = dialect.GenerationPrefix(new ToolChoice(ToolChoiceMode.Function, "get_weather"));
            string rest = family switch
            {
                ToolCallFamily.Hermes => "{\"city\": \"Paris\"}}\n</tool_call>",
                ToolCallFamily.Llama3 => "{\"city\": \"Paris\"}}",
                ToolCallFamily.Mistral => "{\"city\": \"Paris\"}}]",
                _ => "{\"city\": \"Paris\"}",
            };
            var (content, calls, _) = Feed(family, [prefix, rest]);
            Assert.Null(content);
            Assert.Equal("get_weather:{\"city\": \"Paris\"}", calls);
            string required = dialect.GenerationPrefix(ToolChoice.Required);
            Assert.StartsWith(required, prefix, StringComparison.Ordinal);
            Assert.Equal("", dialect.GenerationPrefix(ToolChoice.Auto));
        }
    }

    [Fact]
    public void Fresh_ids_are_openai_shaped_and_distinct()
    {
        var (_, calls) = ToolCallParser.ParseAll(new ToolCallParser(ToolCallFamily.Hermes), "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>");
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Matches("^call_[A-Za-z0-9]{24}$", c.Id));
        Assert.NotEqual(calls[0].Id, calls[1].Id);
    }
}
