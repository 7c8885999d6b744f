using CyLlm.ChatTemplates;

namespace CyLlm.ChatTemplates.Tests;

public class JinjaFeatureTests
{
    private static string R(string template, ChatTemplateOptions? options = null) =>
        ChatTemplate.Parse(template).Render([new("user", "Hi"), new("assistant", "Yo")], options);

    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ 7 // 2 }},{{ 7 % 3 }},{{ 7 / 2 }}", "3,1,3.5")]
    [InlineData("{{ 'a' ~ 1 ~ true }}", "a1True")]
    [InlineData("{{ 'x' if false else 'y' }}", "y")]
    [InlineData("{{ 'x' if true }}", "x")]
    [InlineData("{{ not false and (1 < 2 or 3 > 4) }}", "True")]
    [InlineData("{{ 'ell' in 'hello' }},{{ 2 not in [1, 3] }}", "True,True")]
    [InlineData("{{ none is none }},{{ x is defined }},{{ 'a' is string }},{{ 3 is number }}", "True,False,True,True")]
    [InlineData("{{ [1, 2, 3][1:] }}", "[2, 3]")]
    [InlineData("{{ 'hello'[::-1] }}", "olleh")]
    [InlineData("{{ messages[-1].content }}", "Yo")]
    [InlineData("{{ messages | length }}", "2")]
    [InlineData("{{ '  pad  ' | trim | upper }}", "PAD")]
    [InlineData("{{ ['a', 'b'] | join(', ') }}", "a, b")]
    [InlineData("{{ messages | map(attribute='role') | join('/') }}", "user/assistant")]
    [InlineData("{{ messages | selectattr('role', 'equalto', 'user') | list | length }}", "1")]
    [InlineData("{{ messages | rejectattr('role', 'equalto', 'user') | first | tojson }}", "{\"role\": \"assistant\", \"content\": \"Yo\"}")]
    [InlineData("{{ {'a': [1, 'é', none, 2.5]} | tojson }}", "{\"a\": [1, \"é\", null, 2.5]}")]
    [InlineData("{{ {'a': 1} | tojson(indent=2) }}", "{\n  \"a\": 1\n}")]
    [InlineData("{{ undefined_var | default('dflt') }}", "dflt")]
    [InlineData("{{ 'a b c'.split() | length }},{{ 'a,b'.split(',')[1] }}", "3,b")]
    [InlineData("{{ ' x '.strip() }}|{{ 'Hi'.startswith('H') }}|{{ 'abc'.replace('b', 'B') }}", "x|True|aBc")]
    [InlineData("{{ {'k': 'v'}.get('k') }}{{ {'k': 'v'}.get('z', '-') }}", "v-")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{% for m in messages %}{{ loop.index }}{{ m.role[0] }}{% if not loop.last %},{% endif %}{% endfor %}", "1u,2a")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in range(5) if x is odd %}{{ x }}{% endfor %}", "13")]
    [InlineData("{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", "True")]
    [InlineData("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% macro greet(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ greet('bob') }}{{ greet('al', p='?') }}", "hi bob!hi al?")]
    [InlineData("{% if false %}a{% elif true %}b{% else %}c{% endif %}", "b")]
    [InlineData("{# comment #}x", "x")]
    [InlineData("{% set s %}captured{% endset %}[{{ s }}]", "[captured]")]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    public void Renders(string template, string expected) => Assert.Equal(expected, R(template));

    [Fact]
    public void Trim_and_lstrip_blocks_match_transformers()
    {
        // trim_blocks drops the newline after a block tag; lstrip_blocks drops the indentation before one.
        string t = "{% for m in messages %}\n    {% if m.role == 'user' %}\nU:{{ m.content }}\n    {% endif %}\n{% endfor %}";
        Assert.Equal("U:Hi\n", R(t));
    }

    [Fact]
    public void Strftime_now_uses_the_injected_clock()
    {
        var clock = new FixedTime(new DateTimeOffset(2024, 7, 23, 10, 0, 0, TimeSpan.Zero));
        Assert.Equal("23 Jul 2024", R("{{ strftime_now('%d %b %Y') }}", new ChatTemplateOptions { Time = clock }));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    [Fact]
    public void Extra_variables_are_visible()
    {
        Assert.Equal("2 tools", R("{{ tools | length }} tools", new ChatTemplateOptions { Variables = new Dictionary<string, object?> { ["tools"] = new[] { "a", "b" } } }));
    }

    [Theory]
    [InlineData("{{ 1 + }}", "line 1")]
    [InlineData("{% if true %}never closed", "endif")]
    [InlineData("{{ 'unterminated }}", "unterminated")]
    [InlineData("{% endfor %}", "without a matching")]
    [InlineData("{{ x | nosuchfilter }}", "unknown filter")]
    [InlineData("{% frobnicate %}", "unknown statement")]
    [InlineData("{{ raise_exception('custom failure') }}", "custom failure")]
    [InlineData("{{ 1 / 0 }}", "division by zero")]
    public void Errors_are_clear(string template, string fragment)
    {
        var e = Assert.Throws<ChatTemplateException>(() => R(template));
        Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData("{% for i in range(1000000000) %}x{% endfor %}")]
    [InlineData("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}")]
    [InlineData("{{ 'x' * 100000000 }}")]
    [InlineData("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")]
    public void Hostile_templates_fail_fast(string template)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<ChatTemplateException>(() => R(template));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
    }
}
