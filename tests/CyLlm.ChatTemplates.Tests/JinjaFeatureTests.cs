namespace CyLlm.ChatTemplates.Tests;

/// <summary>One assertion per language feature, readable on its own (the corpus in FeatureCorpusTests is broader).</summary>
public class JinjaFeatureTests
{
    private static readonly ChatMessage[] Chat = [new("user", "Hi"), new("assistant", "Yo")];

    private static string R(string template, ChatTemplateOptions? options = null) => ChatTemplate.Parse(template).Render(Chat, options);

    [Theory]
    // literals
    [InlineData("{{ 'a\\'b' }}{{ \"c\\\"d\" }}{{ 'e\\nf' }}{{ '\\u00e9\\x41' }}", "a'bc\"de\nféA")]
    [InlineData("{{ 42 }} {{ 2.5 }} {{ 1e3 }} {{ true }} {{ True }} {{ false }} {{ none }} {{ None }}", "42 2.5 1000.0 True True False None None")]
    [InlineData("{{ [1, 'a', none] }} {{ {'k': [true]} }} {{ (1,) }}", "[1, 'a', None] {'k': [True]} (1,)")]
    // arithmetic and string operators
    [InlineData("{{ 1 + 2 * 3 }} {{ 7 - 10 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }}", "7 -3 3.5 3 -4 1 2 1024")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ x }}|{{ 'ab' + 'cd' }}|{{ 'ab' * 2 }}", "a1None|abcd|abab")]
    // comparison and logic
    [InlineData("{{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 <= 2 }} {{ 3 > 4 }} {{ 3 >= 3 }}", "True True True False True")]
    [InlineData("{{ 'ell' in 'hello' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }}", "True True True")]
    [InlineData("{{ not false and (1 < 2 or 3 > 4) }} {{ '' or 'd' }} {{ 0 and 1 }}", "True d 0")]
    [InlineData("{{ 'x' if false else 'y' }}|{{ 'x' if true }}|{{ 'x' if false }}|", "y|x||")]
    // tests, including 'is not'
    [InlineData("{{ x is defined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 3 is number }} {{ 'a' is sequence }}", "False True True True True True True")]
    [InlineData("{{ 1 is not string }} {{ none is not none }} {{ messages is not mapping }}", "True False True")]
    // attribute, subscript and slicing
    [InlineData("{{ messages[0]['role'] }} {{ messages[0].role }} {{ messages[-1].content }} {{ messages.1.role }}", "user user Yo assistant")]
    [InlineData("{{ messages[1:] | map(attribute='role') | list }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ [1, 2, 3][:-1] }}", "['assistant'] el olleh [1, 2]")]
    [InlineData("{{ messages[5] is defined }} {{ messages[0].missing is defined }}", "False False")]
    // undefined is empty and falsy
    [InlineData("[{{ nope }}]{% if nope %}t{% else %}f{% endif %}{{ nope | length }}{% for x in nope %}x{% endfor %}", "[]f0")]
    // statements
    [InlineData("{% if false %}a{% elif true %}b{% else %}c{% endif %}", "b")]
    [InlineData("{% for m in messages %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "01TrueFalse2;12FalseTrue2;")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in range(10) if x is odd %}{% if x > 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "135")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", "True")]
    [InlineData("{% set a, b = 'xy' %}{{ b }}{{ a }}", "yx")]
    [InlineData("{% macro greet(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ greet('bob') }} {{ greet('al', p='?') }}", "hi bob! hi al?")]
    [InlineData("{% set s %}captured{% endset %}[{{ s }}]", "[captured]")]
    [InlineData("{% with a = 2 %}{{ a * a }}{% endwith %}", "4")]
    [InlineData("{% filter upper %}shout{% endfilter %}", "SHOUT")]
    [InlineData("{# comment #}x{% generation %}y{% endgeneration %}", "xy")]
    // whitespace control as transformers configures Jinja (trim_blocks, lstrip_blocks)
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("{% for m in messages %}\n    {% if m.role == 'user' %}\nU:{{ m.content }}\n    {% endif %}\n{% endfor %}", "U:Hi\n")]
    [InlineData("  {%+ if true %}kept{% endif +%}\nx\n", "  kept\nx")]
    [InlineData("{%- for m in messages -%}\n  {{ m.role }}\n{%- endfor %}", "userassistant")]
    // filters
    [InlineData("{{ '  pad  ' | trim | upper }}|{{ 'ABC' | lower }}|{{ 'hELLO' | capitalize }}|{{ 'a-b c' | title }}", "PAD|abc|Hello|A-B C")]
    [InlineData("{{ messages | length }} {{ ['a', 'b'] | join(', ') }} {{ [3, 1] | first }} {{ [3, 1] | last }} {{ 5 | string }}", "2 a, b 3 1 5")]
    [InlineData("{{ undefined_var | default('dflt') }} {{ 'a.b' | replace('.', '/') }} {{ '7' | int + 1 }} {{ '<&>' | escape }} {{ '<x>' | safe }}", "dflt a/b 8 &lt;&amp;&gt; <x>")]
    [InlineData("{{ {'b': 2, 'a': 1} | items | list }} {{ messages | map(attribute='role') | join('/') }}", "[('b', 2), ('a', 1)] user/assistant")]
    [InlineData("{{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ messages | rejectattr('role', 'eq', 'user') | map(attribute='content') | first }}", "1 Yo")]
    [InlineData("{{ {'a': [1, 'é', none, 2.5]} | tojson }}", "{\"a\": [1, \"é\", null, 2.5]}")]
    [InlineData("{{ {'a': 1} | tojson(indent=2) }}", "{\n  \"a\": 1\n}")]
    // methods on strings and dicts
    [InlineData("{{ ' x '.strip() }}|{{ 'xx'.lstrip('x') }}|{{ 'a '.rstrip() }}|{{ 'Hi'.startswith('H') }}|{{ 'Hi'.endswith('i') }}", "x||a|True|True")]
    [InlineData("{{ 'a b'.split() }} {{ 'a,b'.split(',')[1] }} {{ 'ab'.upper() }} {{ 'AB'.lower() }} {{ 'abc'.replace('b', 'B') }} {{ 'a b'.title() }}", "['a', 'b'] b AB ab aBc A B")]
    [InlineData("{{ {'k': 'v'}.get('k') }}{{ {'k': 'v'}.get('z', '-') }}{{ {'k': 'v'}.keys() | list }}{{ {'k': 'v'}.values() | list }}{{ {'k': 'v'}.items() | list }}", "v-['k']['v'][('k', 'v')]")]
    // globals
    [InlineData("{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ dict(a=1) }}", "[0, 1, 2] [1, 3, 5] {'a': 1}")]
    public void Renders(string template, string expected) => Assert.Equal(expected, R(template));

    [Fact]
    public void Strftime_now_uses_the_injected_clock()
    {
        var clock = TestData.Clock("2024-07-23T09:05:00");
        Assert.Equal("23 Jul 2024 09:05 Tuesday", R("{{ strftime_now('%d %b %Y %H:%M %A') }}", new ChatTemplateOptions { Time = clock }));
    }

    [Fact]
    public void Special_tokens_and_generation_flag_are_variables()
    {
        var options = new ChatTemplateOptions { BosToken = "<s>", EosToken = "</s>", AddGenerationPrompt = false };
        Assert.Equal("<s></s>False", R("{{ bos_token }}{{ eos_token }}{{ add_generation_prompt }}", options));
        Assert.Equal("True", R("{{ add_generation_prompt }}"));
    }

    [Fact]
    public void Tools_and_documents_are_none_unless_given()
    {
        Assert.Equal("True True", R("{{ tools is none }} {{ documents is none }}"));
        var options = new ChatTemplateOptions { Variables = new Dictionary<string, object?> { ["tools"] = new[] { "a", "b" } } };
        Assert.Equal("2 tools", R("{{ tools | length }} tools", options));
    }

    [Fact]
    public void A_message_name_is_visible_when_set()
    {
        var template = ChatTemplate.Parse("{% for m in messages %}{{ m.name if m.name is defined else '-' }};{% endfor %}{{ messages[0] | tojson }}");
        Assert.Equal("bob;-;{\"role\": \"user\", \"content\": \"a\", \"name\": \"bob\"}", template.Render([new("user", "a", "bob"), new("assistant", "b")]));
    }

    [Fact]
    public void Loop_variables_reset_each_iteration_like_jinja()
    {
        Assert.Equal("[1][][]", R("{% for m in messages %}{% if loop.first %}{% set x = 1 %}{% endif %}[{{ x }}]{% endfor %}[{{ x }}]"));
    }

    [Fact]
    public void Lists_and_dicts_cannot_be_mutated_in_the_immutable_sandbox()
    {
        Assert.Equal("False", R("{{ messages.append is defined }}"));
        Assert.Throws<ChatTemplateException>(() => R("{{ messages.append(1) }}"));
    }
}
