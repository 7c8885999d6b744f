using System.Text;
using CyLlm.Training.Data;

namespace CyLlm.Training.Tests.Data;

public sealed class DatasetReaderTests
{
    /// <summary>100 text rows "row N" on lines 1..100 with an invalid row on line 50, in the given format.</summary>
    private static string MakeFile(string format)
    {
        var sb = new StringBuilder();
        if (format == "csv")
        {
            sb.Append("text\n");
        }
        else if (format == "json")
        {
            sb.Append('[');
        }

        for (int i = 1; i <= 100; i++)
        {
            string text = i == 50 ? "" : $"row {i}";
            sb.Append(format switch
            {
                "csv" => $"\"{text}\"\n",
                "json" => (i > 1 ? ",\n" : "") + $"{{\"text\":\"{text}\"}}",
                _ => $"{{\"text\":\"{text}\"}}\n",
            });
        }

        if (format == "json")
        {
            sb.Append(']');
        }

        return DataTestPaths.TempFile("rows." + format, sb.ToString());
    }

    private static List<string> Texts(DatasetReader reader, IEnumerable<TrainingExample> examples) =>
        examples.Select(e => DataTestPaths.Renderer("llama2").Tokenizer.Decode(e.Tokens, skipSpecial: true).Trim()).ToList();

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("json")]
    public void WithoutASeedRowsComeInFileOrderSkippingInvalidOnes(string format)
    {
        var reader = new DatasetReader(MakeFile(format), DataTestPaths.Renderer("llama2"), new DatasetReaderOptions { BlockRows = 7 });
        var texts = Texts(reader, reader.ReadEpoch(DatasetPosition.Start));
        Assert.Equal(Enumerable.Range(1, 100).Where(i => i != 50).Select(i => $"row {i}"), texts);
        Assert.Equal(1, reader.SkippedRows);
        Assert.Equal(new DatasetPosition(1, 0), reader.Position);
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("json")]
    public void AShuffledEpochIsAPermutationThatDependsOnSeedAndEpoch(string format)
    {
        string file = MakeFile(format);
        List<string> Epoch(ulong seed, int epoch)
        {
            var r = new DatasetReader(file, DataTestPaths.Renderer("llama2"), new DatasetReaderOptions { ShuffleSeed = seed, BlockRows = 8 });
            return Texts(r, r.ReadEpoch(new DatasetPosition(epoch, 0)));
        }

        var a = Epoch(7, 0);
        Assert.Equal(a, Epoch(7, 0));
        Assert.Equal(Enumerable.Range(1, 100).Where(i => i != 50).Select(i => $"row {i}").Order(), a.Order());
        Assert.NotEqual(Enumerable.Range(1, 100).Where(i => i != 50).Select(i => $"row {i}"), a);
        Assert.NotEqual(a, Epoch(7, 1));
        Assert.NotEqual(a, Epoch(8, 0));
    }

    [Theory]
    [InlineData("jsonl", 0)]
    [InlineData("jsonl", 37)]
    [InlineData("csv", 53)]
    [InlineData("json", 90)]
    public void ResumingFromAPositionContinuesExactlyWhereTheReadStopped(string format, int stopAfter)
    {
        string file = MakeFile(format);
        var options = new DatasetReaderOptions { ShuffleSeed = 42, BlockRows = 8 };
        var full = new DatasetReader(file, DataTestPaths.Renderer("llama2"), options);
        var all = Texts(full, full.ReadEpoch(new DatasetPosition(3, 0)));

        var first = new DatasetReader(file, DataTestPaths.Renderer("llama2"), options);
        var head = Texts(first, first.ReadEpoch(new DatasetPosition(3, 0)).Take(stopAfter));
        var saved = first.Position;

        var resumed = new DatasetReader(file, DataTestPaths.Renderer("llama2"), options);
        var tail = Texts(resumed, resumed.ReadEpoch(saved));
        Assert.Equal(all, head.Concat(tail));
        Assert.Equal(99, all.Count);
    }

    [Fact]
    public void ReadGoesOnAcrossEpochs()
    {
        var reader = new DatasetReader(MakeFile("jsonl"), DataTestPaths.Renderer("llama2"), new DatasetReaderOptions { ShuffleSeed = 1 });
        var examples = reader.Read(DatasetPosition.Start).Take(250).ToList();
        Assert.Equal(250, examples.Count);
        Assert.Equal(2, reader.Position.Epoch);
    }

    [Fact]
    public void LongTextIsReadAsWindowsAndResumesMidRow()
    {
        string story = string.Join(' ', Enumerable.Range(1, 60).Select(i => $"word{i}"));
        string file = DataTestPaths.TempFile("story.jsonl", DataTestFiles.Lines($$"""{"text":"{{story}}"}""", """{"text":"short one"}"""));
        var renderer = DataTestPaths.Renderer("llama2");
        var options = new DatasetReaderOptions { MaxSequenceLength = 32 };
        var reader = new DatasetReader(file, renderer, options);
        var all = reader.ReadEpoch(DatasetPosition.Start).ToList();

        var whole = renderer.Tokenizer.Encode(story, addBos: true, parseSpecial: false).Append(renderer.Tokenizer.EosId).ToArray();
        int windows = (whole.Length + 31) / 32;
        Assert.True(windows >= 3);
        Assert.Equal(windows + 1, all.Count);
        Assert.Equal(whole, all.Take(windows).SelectMany(e => e.Tokens));
        Assert.All(all, e => Assert.True(e.Tokens.Length <= 32));
        Assert.All(all.Take(windows), e => Assert.Equal(1, e.SourceLine));

        var first = new DatasetReader(file, renderer, options);
        var head = first.ReadEpoch(DatasetPosition.Start).Take(2).ToList();
        Assert.Equal(new DatasetPosition(0, 0, 2), first.Position);
        var tail = new DatasetReader(file, renderer, options).ReadEpoch(first.Position).ToList();
        Assert.Equal(all.Select(e => e.Tokens), head.Concat(tail).Select(e => e.Tokens));

        var cut = new DatasetReader(file, renderer, options with { SplitLongText = false }).ReadEpoch(DatasetPosition.Start).ToList();
        Assert.Equal(2, cut.Count);
        Assert.Equal(32, cut[0].Tokens.Length);
    }
}
