using System.Text.Json;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// TestData/corpus: all 70 chat templates in llama.cpp's models/templates (Llama 3.1/3.2/3.3, Qwen 2.5/3/QwQ,
/// DeepSeek R1/V3/V4, Mistral Nemo/Small/Devstral, Gemma 2/4, Phi-3.5, Hermes, Command R, Granite, GLM, Kimi,
/// gpt-oss, ...) rendered with and without a system turn, with and without tools. Expected: Jinja2 in
/// transformers' environment (TestData/generate_golden.py), including the renders where it fails.
/// </summary>
public class CorpusTests
{
    private static readonly Lazy<JsonElement> Corpus = new(() =>
    {
        using var doc = JsonDocument.Parse(TestData.Read("corpus.json"));
        return doc.RootElement.Clone();
    });

    public static IEnumerable<object[]> Renders()
    {
        foreach (var t in Corpus.Value.GetProperty("templates").EnumerateArray())
        {
            int i = 0;
            foreach (var r in t.GetProperty("renders").EnumerateArray())
            {
                yield return [t.GetProperty("file").GetString()!, i++, r.GetProperty("conversation").GetString()!, r.GetProperty("tools").GetBoolean()];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Renders))]
    public void Renders_like_transformers(string file, int index, string conversation, bool tools)
    {
        var c = Corpus.Value;
        var r = c.GetProperty("templates").EnumerateArray().First(t => t.GetProperty("file").GetString() == file).GetProperty("renders")[index];
        var options = new ChatTemplateOptions
        {
            BosToken = c.GetProperty("bos_token").GetString()!,
            EosToken = c.GetProperty("eos_token").GetString()!,
            Time = TestData.Clock(c.GetProperty("now").GetString()!),
            Variables = tools ? new Dictionary<string, object?> { ["tools"] = c.GetProperty("tools").Clone() } : null,
        };
        string source = TestData.Read(file);
        var messages = TestData.Conversation(conversation);
        if (r.TryGetProperty("expected", out var expected))
        {
            Assert.Equal(expected.GetString(), ChatTemplate.Parse(source).Render(messages, options));
        }
        else
        {
            Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render(messages, options));
        }
    }

    [Fact]
    public void Corpus_is_complete()
    {
        Assert.Equal(70, Corpus.Value.GetProperty("templates").GetArrayLength());
        Assert.Equal(70, Directory.GetFiles(Path.Combine(TestData.Dir, "corpus"), "*.jinja").Length);
    }
}
