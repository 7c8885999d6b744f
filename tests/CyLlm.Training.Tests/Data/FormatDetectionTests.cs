using System.Text;
using CyLlm.Training.Data;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Tests.Data;

public sealed class FormatDetectionTests
{
    [Theory]
    [InlineData("PAR1\0\0", DatasetFormat.Parquet)]
    [InlineData("  \n [ {}", DatasetFormat.JsonArray)]
    [InlineData("\uFEFF{\"text\":1}", DatasetFormat.JsonLines)]
    [InlineData("\r\n\t{", DatasetFormat.JsonLines)]
    [InlineData("text\nhello", DatasetFormat.Csv)]
    [InlineData("\"quoted header\"\n", DatasetFormat.Csv)]
    public void TheFormatComesFromTheBytes(string head, DatasetFormat expected) =>
        Assert.Equal(expected, DatasetFormatDetector.Detect(Encoding.UTF8.GetBytes(head)));

    [Fact]
    public void TheExtensionDoesNotMatter()
    {
        string path = DataTestPaths.TempFile("data.csv", DataTestFiles.Lines(DataTestFiles.ValidText));
        var r = DatasetValidator.ValidateFile(path);
        Assert.Equal(DatasetFormat.JsonLines, r.Format);
        Assert.True(r.IsValid);
    }

    [Fact]
    public void EmptyAndMissingFilesGetClearAnswers()
    {
        var empty = DataTestFiles.Validate("");
        Assert.Equal(0, empty.Rows);
        Assert.False(empty.IsValid);

        var e = Assert.Throws<FileNotFoundException>(() => DatasetValidator.ValidateFile(Path.Combine(Path.GetTempPath(), "no-such-dataset.jsonl")));
        Assert.Contains("no-such-dataset.jsonl", e.Message);
    }

    [Fact]
    public void ParquetNeedsASeekableStream()
    {
        var r = DatasetValidator.Validate(new NonSeekable(Encoding.ASCII.GetBytes("PAR1 not really")));
        Assert.Equal(DatasetFormat.Parquet, r.Format);
        Assert.True(r.Incomplete);
        Assert.Contains("seekable", Assert.Single(r.Errors).Message);
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
