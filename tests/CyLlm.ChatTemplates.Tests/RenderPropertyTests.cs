using CsCheck;
using CyLlm.ChatTemplates;

namespace CyLlm.ChatTemplates.Tests;

public class RenderPropertyTests
{
    private static readonly Gen<string> Content = Gen.String[Gen.Char["ab {}%#'\"\\\n\té😀<>|"], 0, 40];

    private static readonly Gen<ChatMessage[]> Conversation =
        Gen.Int[1, 8].SelectMany(n => Content.Array[n].Select(contents =>
            contents.Select((c, i) => new ChatMessage(i % 2 == 0 ? "user" : "assistant", c)).ToArray()));

    [Theory]
    [InlineData("chatml", "<|im_start|>{0}\n")]
    [InlineData("llama3", "<|start_header_id|>{0}<|end_header_id|>\n\n")]
    [InlineData("zephyr", "<|{0}|>\n")]
    public void Every_message_appears_in_order_with_its_role(string name, string marker)
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

                // llama3 trims the content; the others keep it verbatim.
                string content = name == "llama3" ? m.Content.Trim() : m.Content;
                int c = text.IndexOf(content, h + header.Length, StringComparison.Ordinal);
                if (c != h + header.Length)
                {
                    return false;
                }

                at = c + content.Length;
            }

            return true;
        }, iter: 300);
    }
}
