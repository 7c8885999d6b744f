namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// TestData/features.json: one small template per Jinja feature (literals, whitespace control, operators,
/// scoping, loops, macros, filters, tests, methods, globals, syntax errors), with the output of Jinja2 in
/// transformers' environment, or the fact that it raises.
/// </summary>
public class FeatureCorpusTests
{
    public static IEnumerable<object[]> Cases() =>
        Enumerable.Range(0, TestData.Features.GetProperty("cases").GetArrayLength()).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_jinja2(int index)
    {
        var f = TestData.Features;
        var c = f.GetProperty("cases")[index];
        string source = c.GetProperty("template").GetString()!;
        var options = new ChatTemplateOptions
        {
            AddGenerationPrompt = true,
            Variables = TestData.Variables(f.GetProperty("variables")),
            Time = TestData.Clock(f.GetProperty("now").GetString()!),
        };
        var messages = TestData.Messages(f.GetProperty("messages"));
        if (c.TryGetProperty("expected", out var expected))
        {
            Assert.Equal(expected.GetString(), ChatTemplate.Parse(source).Render(messages, options));
        }
        else
        {
            var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render(messages, options));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            Assert.DoesNotContain('\n', e.Message);
        }
    }
}
