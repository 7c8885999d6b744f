using System.Diagnostics;
using System.Text;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>Hostile templates fail fast with a ChatTemplateException instead of hanging, overflowing the stack or eating memory.</summary>
public class LimitTests
{
    private static readonly ChatMessage[] Chat = [new("user", "Hi"), new("assistant", "Yo")];

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    public static IEnumerable<object[]> Hostile() =>
    [
        ["{% for i in range(10**9) %}x{% endfor %}"],
        ["{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"],
        ["{{ 'x' * 100000000 }}"],
        ["{{ [1] * 100000000 }}"],
        ["{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"],
        ["{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}"],
        ["{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"],
        ["{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}"],
        ["{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l | tojson }}"],
        ["{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}"],
        ["{% set ns = namespace(a=[1], b=[1]) %}{% for i in range(100) %}{% set ns.a = [ns.a, ns.a] %}{% set ns.b = [ns.b, ns.b] %}{% endfor %}{{ ns.a == ns.b }}"],
        ["{% set ns = namespace(l=[]) %}{% for i in range(5000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l | tojson }}"],
        ["{% set ns = namespace(l=[]) %}{% for i in range(5000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}"],
        ["{{ 'a' | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') }}"],
        ["{{ 'x' | indent(2000000000) }}"],
        ["{{ 'x' | center(2000000000) }}"],
        ["{{ 'x'.ljust(2000000000) }}"],
        ["{{ '%999999s%999999s%999999s%999999s%999999s' % ('a', 'b', 'c', 'd', 'e') }}"],
        ["{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"],
        ["{{ " + Repeat("(", 5000) + "1" + Repeat(")", 5000) + " }}"],
        ["{{ " + Repeat("not ", 20000) + "x }}"],
        ["{{ " + Repeat("- ", 20000) + "1 }}"],
        ["{{ " + Repeat("[", 5000) + Repeat("]", 5000) + " }}"],
        ["{{ 1" + Repeat(" + 1", 100000) + " }}"],
        ["{{ 'x'" + Repeat(" | trim", 100000) + " }}"],
        ["{{ x" + Repeat(".a", 100000) + " }}"],
        [Repeat("{% if true %}", 20000) + Repeat("{% endif %}", 20000)],
        [Repeat("{% for x in [1] %}", 20000) + Repeat("{% endfor %}", 20000)],
        ["{% for i in range(100000) %}" + Repeat("x", 100) + "{% endfor %}"],
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_templates_fail_fast(string template)
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render(Chat));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Range_beyond_the_sandbox_limit_is_refused_at_once()
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% for i in range(10**9) %}{% endfor %}").Render(Chat));
        Assert.Equal(ChatTemplateErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("MAX_RANGE", e.Message, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Work_and_output_limits_are_configurable()
    {
        var t = ChatTemplate.Parse("{% for i in range(1000) %}x{% endfor %}");
        Assert.Equal(1000, t.Render(Chat).Length);
        var steps = Assert.Throws<ChatTemplateException>(() => t.Render(Chat, new ChatTemplateOptions { MaxSteps = 500 }));
        Assert.Equal(ChatTemplateErrorKind.LimitExceeded, steps.Kind);
        var output = Assert.Throws<ChatTemplateException>(() => t.Render(Chat, new ChatTemplateOptions { MaxOutputChars = 999 }));
        Assert.Equal(ChatTemplateErrorKind.LimitExceeded, output.Kind);
        Assert.Contains("999", output.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_sources_are_refused()
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(new string('x', ChatTemplate.MaxSourceLength + 1)));
        Assert.Equal(ChatTemplateErrorKind.LimitExceeded, e.Kind);
    }

    [Fact]
    public void A_long_conversation_renders_well_within_the_default_limits()
    {
        var messages = Enumerable.Range(0, 2000).Select(i => new ChatMessage(i % 2 == 0 ? "user" : "assistant", "message " + i)).ToArray();
        var template = ChatTemplate.Parse(TestData.Read("templates/llama3.1.jinja"));
        string text = template.Render(messages);
        Assert.Contains("message 1999<|eot_id|>", text, StringComparison.Ordinal);
    }
}
