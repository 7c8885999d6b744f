using CyLlm.Training.Data;
using CyLlm.Training.Data.Schemas;

namespace CyLlm.Training.Tests.Data;

/// <summary>Loss masks on the real Llama-2 vocabulary (llama-2-tiny-random.gguf) with built-in templates.</summary>
public sealed class LossMaskTests
{
    private static string Targets(TrainingRenderer r, RenderedRow row) =>
        r.Tokenizer.Decode(row.Tokens.Where((_, i) => row.LossMask[i]), skipSpecial: true);

    private static ParsedRow Chat(params (string Role, string Content, bool Train)[] m) =>
        new(DatasetSchema.OpenAiChat, m.Select(x => new TrainMessage(x.Role, x.Content, x.Train)).ToList(), null);

    [Fact]
    public void Llama2MasksExactlyTheAssistantAnswerAndItsEos()
    {
        var r = DataTestPaths.Renderer("llama2");
        var row = r.Render(Chat(("system", "Be brief.", false), ("user", "Hello there", false), ("assistant", "General Kenobi", true)), 512);

        Assert.Equal(r.Tokenizer.BosId, row.Tokens[0]);
        Assert.Equal(1, row.Tokens.Count(t => t == r.Tokenizer.BosId));
        Assert.Equal("General Kenobi", Targets(r, row).Trim());
        Assert.Equal(r.Tokenizer.EosId, row.Tokens[^1]);
        Assert.True(row.LossMask[^1]);

        // Everything before the answer (system, user, [INST] markers) is context only.
        int first = Array.IndexOf(row.LossMask, true);
        Assert.Contains("[/INST]", r.Tokenizer.Decode(row.Tokens[..first]));
        Assert.DoesNotContain("General", r.Tokenizer.Decode(row.Tokens[..first]));
        Assert.All(row.LossMask[first..], Assert.True);
    }

    [Fact]
    public void WeightZeroTurnsAreContextOnly()
    {
        var r = DataTestPaths.Renderer("llama2");
        var row = r.Render(Chat(("user", "one", false), ("assistant", "first answer", false), ("user", "two", false), ("assistant", "second answer", true)), 512);
        Assert.Equal("second answer", Targets(r, row).Trim());

        var both = r.Render(Chat(("user", "one", false), ("assistant", "first answer", true), ("user", "two", false), ("assistant", "second answer", true)), 512);
        string t = Targets(r, both);
        Assert.Contains("first answer", t);
        Assert.Contains("second answer", t);
        Assert.DoesNotContain("one", t);
        Assert.DoesNotContain("two", t);
    }

    [Fact]
    public void ChatMlMarksTheAnswerAndTheEndOfTurnNotTheHeader()
    {
        var r = DataTestPaths.Renderer("chatml");
        var row = r.Render(Chat(("user", "Ping?", false), ("assistant", "Pong!", true)), 512);
        string targets = Targets(r, row);
        Assert.StartsWith("Pong!", targets);
        Assert.Contains("<|im_end|>", targets);
        Assert.DoesNotContain("assistant", targets);
        Assert.DoesNotContain("Ping", targets);
    }

    [Fact]
    public void InstructionRowsBecomeUserAndAssistantTurns()
    {
        var r = DataTestPaths.Renderer("llama2");
        string file = DataTestPaths.TempFile("inst.jsonl", """{"instruction":"Translate to French","input":"cat","output":"chat"}""" + "\n");
        var ex = Assert.Single(new DatasetReader(file, r).ReadEpoch(DatasetPosition.Start));
        string prompt = r.Tokenizer.Decode(ex.Tokens.Where((_, i) => !ex.LossMask[i]), skipSpecial: true);
        Assert.Contains("Translate to French", prompt);
        Assert.Contains("cat", prompt);
        Assert.Equal("chat", r.Tokenizer.Decode(ex.Tokens.Where((_, i) => ex.LossMask[i]), skipSpecial: true).Trim());
        Assert.Equal(1, ex.SourceLine);
    }

    [Fact]
    public void PlainTextIsAllTargetsWithBosAndEos()
    {
        var r = DataTestPaths.Renderer("llama2");
        var row = r.Render(new ParsedRow(DatasetSchema.Text, null, "Once upon a time there was a cat."), 512);
        Assert.Equal(r.Tokenizer.BosId, row.Tokens[0]);
        Assert.Equal(r.Tokenizer.EosId, row.Tokens[^1]);
        Assert.All(row.LossMask, Assert.True);
        Assert.Equal(row.Tokens.Length - 1, row.Targets);
        Assert.Equal("Once upon a time there was a cat.", r.Tokenizer.Decode(row.Tokens, skipSpecial: true).Trim());
    }

    [Fact]
    public void LongRowsAreTruncatedAndCountedByValidation()
    {
        var r = DataTestPaths.Renderer("llama2");
        string longAnswer = string.Join(' ', Enumerable.Repeat("word", 100));
        string file = DataTestFiles.Lines(
            $$"""{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"{{longAnswer}}"}]}""",
            $$"""{"messages":[{"role":"user","content":"{{longAnswer}}"},{"role":"assistant","content":"ok"}]}""",
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"short"}]}""");
        var report = DataTestFiles.Validate(file, r, new DatasetValidationOptions { MaxSequenceLength = 40 });
        Assert.Equal(3, report.ValidRows);
        Assert.Equal(2, report.TruncatedRows);
        Assert.Equal(1, report.RowsWithoutTargets);
        Assert.True(report.MaxRowTokens > 100);
        Assert.True(report.TrainedTokens < report.Tokens);
        Assert.True(report.TrainedTokens <= 3 * 40);
        Assert.True(report.IsValid);

        // The reader cuts to the limit and skips the row whose answer was cut away entirely.
        string path = DataTestPaths.TempFile("long.jsonl", file);
        var examples = new DatasetReader(path, r, new DatasetReaderOptions { MaxSequenceLength = 40 }).ReadEpoch(DatasetPosition.Start).ToList();
        Assert.Equal([1L, 3L], examples.Select(e => e.SourceLine).ToList());
        Assert.Equal(40, examples[0].Tokens.Length);
    }

    [Fact]
    public void TemplateRefusalsAreRowErrors()
    {
        var r = DataTestPaths.Renderer("llama2");
        string file = DataTestFiles.Lines(
            """{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"}]}""",
            """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"c"}]}""");
        var report = DataTestFiles.Validate(file, r);
        var e = Assert.Single(report.Errors);
        Assert.Equal(DatasetErrorKind.TemplateError, e.Kind);
        Assert.Equal(1, e.Line);
        Assert.Contains("alternate", e.Message);
        Assert.Equal(1, report.ValidRows);
    }
}
