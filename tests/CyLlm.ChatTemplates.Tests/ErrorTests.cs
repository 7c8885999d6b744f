namespace CyLlm.ChatTemplates.Tests;

/// <summary>Bad templates fail with a one-line ChatTemplateException that says what and where.</summary>
public class ErrorTests
{
    private static readonly ChatMessage[] Chat = [new("user", "Hi")];

    private static ChatTemplateException Fail(string template) =>
        Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render(Chat));

    [Theory]
    [InlineData("{{ 1 + }}", 1, 8, "unexpected end of print statement")]
    [InlineData("{% if true %}never closed", 1, 26, "missing '{% endif %}' for the 'if' at line 1, column 4")]
    [InlineData("a\n{% for m in messages %}\n{{ m }}", 3, 8, "missing '{% endfor %}'")]
    [InlineData("x\n  {{ 'unterminated }}", 2, 6, "unterminated string literal")]
    [InlineData("{{ x", 1, 1, "unterminated '{{' tag")]
    [InlineData("ok\n{% if x", 2, 1, "unterminated '{%' tag")]
    [InlineData("{# never closed", 1, 1, "missing end of comment tag")]
    [InlineData("{% endfor %}", 1, 4, "unknown tag 'endfor'")]
    [InlineData("{% frobnicate %}", 1, 4, "unknown tag 'frobnicate'")]
    [InlineData("{% include 'x' %}", 1, 4, "not supported")]
    [InlineData("{{ (1 + 2 }}", 1, 11, "unexpected '}', expected ')'")]
    [InlineData("{{ x | nosuchfilter }}", 1, 8, "no filter named 'nosuchfilter'")]
    [InlineData("line\n\n  {{ x is nosuchtest }}", 3, 11, "no test named 'nosuchtest'")]
    [InlineData("{% break %}", 1, 4, "outside of a for loop")]
    [InlineData("{% macro f(a=1, b) %}{% endmacro %}", 1, 17, "non-default argument follows default argument")]
    [InlineData("{{ 99999999999999999999 }}", 1, 4, "integer literal too large")]
    [InlineData("{{ 'a' ! 'b' }}", 1, 8, "unexpected character '!'")]
    public void Syntax_errors_carry_line_and_column(string template, int line, int column, string fragment)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template));
        Assert.Equal(ChatTemplateErrorKind.Syntax, e.Kind);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"line {line}, column {column}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'")]
    [InlineData("ok\n{{ 1 / 0 }}", "division by zero")]
    [InlineData("{{ nope.attr }}", "'nope' is undefined")]
    [InlineData("{{ messages[3].role }}", "list object has no element 3")]
    [InlineData("{{ nope() }}", "'nope' is undefined")]
    [InlineData("{{ 'x'() }}", "'str' object is not callable")]
    [InlineData("{{ 1 < 'a' }}", "'<' not supported between instances of 'int' and 'str'")]
    [InlineData("{% for x in 5 %}{% endfor %}", "'int' object is not iterable")]
    [InlineData("{% set d = {} %}{% set d.x = 1 %}", "cannot assign attribute on non-namespace object")]
    [InlineData("{{ nope | tojson }}", "not JSON serializable")]
    [InlineData("{{ 2 ** 64 }}", "integer overflow")]
    [InlineData("{{ 9223372036854775807 + 1 }}", "integer overflow")]
    public void Render_errors_say_what_went_wrong(string template, string fragment)
    {
        var e = Fail(template);
        Assert.Equal(ChatTemplateErrorKind.Render, e.Kind);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.True(e.Line >= 1);
    }

    [Fact]
    public void Render_errors_point_at_the_failing_line()
    {
        var e = Fail("{{ 'fine' }}\n{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}");
        Assert.Equal(3, e.Line);
        Assert.StartsWith("line 3, column ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raise_exception_surfaces_the_templates_own_message()
    {
        var e = Fail("{% if messages[0].role != 'system' %}\n{{ raise_exception('A system message is required!') }}{% endif %}");
        Assert.Equal(ChatTemplateErrorKind.RaisedByTemplate, e.Kind);
        Assert.Equal("A system message is required!", e.Message);
        Assert.Equal("A system message is required!", e.Reason);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Messages_stay_on_one_line()
    {
        var e = Fail("{{ raise_exception('two\\nlines') }}");
        Assert.Equal("two lines", e.Message);
        Assert.Equal("two\nlines", e.Reason);
    }

    [Fact]
    public void Bad_arguments_are_rejected_before_rendering()
    {
        var t = ChatTemplate.Parse("x");
        Assert.Throws<ArgumentNullException>(() => ChatTemplate.Parse(null!));
        Assert.Throws<ArgumentNullException>(() => t.Render(null!));
        Assert.Throws<ArgumentException>(() => t.Render([null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Render([], new ChatTemplateOptions { MaxSteps = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Render([], new ChatTemplateOptions { MaxOutputChars = 0 }));
        var bad = new ChatTemplateOptions { Variables = new Dictionary<string, object?> { ["v"] = new object() } };
        var e = Assert.Throws<ArgumentException>(() => t.Render([], bad));
        Assert.Contains("'v'", e.Message, StringComparison.Ordinal);
    }
}
