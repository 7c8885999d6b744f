using CsCheck;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>Property tests: random conversations through real templates, random token soup through the parser.</summary>
public class RenderPropertyTests
{
    // Contents with template syntax, quotes, backslashes, unicode (incl. a surrogate pair) and newlines.
    private static readonly Gen<string> Content = Gen.String[Gen.Char["ab {}%#'\"\\\n\té😀<>|-~[]()"], 0, 40];

    private static readonly Gen<ChatMessage[]> Conversation =
        Gen.Int[1, 8].SelectMany(n => Content.Array[n].Select(contents =>
            contents.Select((c, i) => new ChatMessage(i % 2 == 0 ? "user" : "assistant", c)).ToArray()));

    [Theory]
    [InlineData("chatml", "<|im_start|>{0}\n", false)]
    [InlineData("llama3", "<|start_header_id|>{0}<|end_header_id|>\n\n", true)]
    [InlineData("zephyr", "<|{0}|>\n", false)]
    [InlineData("qwen2", "<|im_start|>{0}\n", false)]
    public void Every_message_appears_in_order_after_its_role_marker(string name, string marker, bool trims)
    {
        var template = ChatTemplate.Parse(BuiltInTemplates.All[name]);
        Conversation.Sample(messages =>
        {
            string text = template.Render(messages, new ChatTemplateOptions { EosToken = "</s>" });
            int at = 0;
            foreach (var m in messages)
            {
                string header = string.Format(System.Globalization.CultureInfo.InvariantCulture, marker, m.Role);
                int h = text.IndexOf(header, at, StringComparison.Ordinal);
                if (h < 0)
                {
                    return false;
                }

                // llama3 pipes the content through trim; the others keep it verbatim.
                string content = trims ? m.Content.Trim() : m.Content;
                if (string.CompareOrdinal(text, h + header.Length, content, 0, content.Length) != 0)
                {
                    return false;
                }

                at = h + header.Length + content.Length;
            }

            return true;
        }, iter: 300, seed: "0N0XIzNsQ0O2");
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("mistral")]
    [InlineData("gemma")]
    [InlineData("smollm2")]
    public void Alternating_conversations_never_fail(string name)
    {
        var template = ChatTemplate.Parse(BuiltInTemplates.All[name]);
        Conversation.Where(m => m.Length % 2 == 1).Sample(messages =>
        {
            string text = template.Render(messages, new ChatTemplateOptions { BosToken = "<s>", EosToken = "</s>" });
            return text.Contains(messages[^1].Content.Trim(), StringComparison.Ordinal);
        }, iter: 200, seed: "0N0XIzNsQ0O2");
    }

    private static readonly string[] Tokens =
    [
        "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "if", "elif", "else", "endif", "for", "in", "endfor", "set", "endset",
        "macro", "endmacro", "namespace", "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "=", "==", "+", "-", "*", "**", "/",
        "//", "%", "~", "not", "and", "or", "is", "defined", "none", "true", "1", "0", "-1", "2.5", "'s'", "\"q\"", "x", "ns",
        "messages", "m", "loop", "index", "role", "content", "range", "upper", "trim", "tojson", "length", "join", "items",
        "raise_exception", "break", "continue", "\n", " ", "text",
    ];

    [Fact]
    public void Random_token_soup_only_ever_fails_with_ChatTemplateException()
    {
        var chat = new[] { new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Yo") };
        var options = new ChatTemplateOptions { MaxSteps = 20_000, MaxOutputChars = 100_000 };
        Gen.Int[0, Tokens.Length - 1].Array[1, 40].Sample(picks =>
        {
            string source = string.Join(" ", picks.Select(i => Tokens[i]));
            try
            {
                ChatTemplate.Parse(source).Render(chat, options);
            }
            catch (ChatTemplateException e)
            {
                return !e.Message.Contains('\n', StringComparison.Ordinal);
            }

            return true;
        }, iter: 3000, seed: "0N0XIzNsQ0O2");
    }

    private static Gen<string> Pick(params string[] options) => Gen.Int[0, options.Length - 1].Select(i => options[i]);

    [Fact]
    public void Structured_random_templates_only_ever_fail_with_ChatTemplateException()
    {
        var chat = new[] { new ChatMessage("system", "S"), new ChatMessage("user", "Hi") };
        var options = new ChatTemplateOptions { MaxSteps = 20_000 };
        var atom = Pick("messages", "m", "m.role", "m['content']", "loop.index", "1", "'a'", "none", "x", "[1, 2]", "{'k': 1}", "ns.v", "messages[1:]", "messages | length");
        var op = Pick(" + ", " ~ ", " == ", " in ", " and ", " or ", " * ", " // ", " % ", " < ");
        var filter = Pick("", " | trim", " | tojson", " | length", " | first", " | list", " | string", " | upper", " | default('d')");
        var expr = Gen.Select(atom, op, atom, filter, (a, o, b, f) => "(" + a + o + b + ")" + f);
        var stmt = Gen.OneOf(
            expr.Select(e => "{{ " + e + " }}"),
            expr.Select(e => "{% if " + e + " %}y{% else %}n{% endif %}"),
            expr.Select(e => "{% for m in " + e + " %}[{{ m }}]{% endfor %}"),
            expr.Select(e => "{% set ns.v = " + e + " %}"));
        stmt.Array[1, 6].Sample(parts =>
        {
            string source = "{% set ns = namespace(v=0) %}" + string.Concat(parts);
            try
            {
                ChatTemplate.Parse(source).Render(chat, options);
            }
            catch (ChatTemplateException)
            {
            }

            return true;
        }, iter: 2000, seed: "0N0XIzNsQ0O2");
    }
}
