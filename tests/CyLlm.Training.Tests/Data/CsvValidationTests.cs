using System.Text;
using CyLlm.Training.Data;
using static CyLlm.Training.Tests.Data.DataTestFiles;

namespace CyLlm.Training.Tests.Data;

public sealed class CsvValidationTests
{
    [Fact]
    public void QuotedFieldsWithCommasQuotesAndNewlinesAreRead()
    {
        string csv = "instruction,input,output\r\n"
            + "\"Say \"\"hi\"\", then stop\",,\"line one\nline two\"\r\n"   // lines 2-3
            + "plain,text,here\r\n";                                       // line 4
        var r = Validate(csv);
        Assert.Equal(DatasetFormat.Csv, r.Format);
        Assert.Equal(DatasetSchema.Instruction, r.Schema);
        Assert.Equal(2, r.ValidRows);
        Assert.Empty(r.Errors);
    }

    [Fact]
    public void EveryMalformedRecordKindIsReportedOnTheLineItStarts()
    {
        string head = "instruction,input,output\n"      // 1
            + "a,b,c\n"                                  // 2
            + "\"multi\nline\",x,y\n"                    // 3-4 valid, two lines
            + "a,b\n"                                    // 5 too few fields
            + "a,b\"c,d\n"                               // 6 stray quote
            + "\"a\"x,b,c\n"                             // 7 text after closing quote
            + "a,b,\n"                                   // 8 empty output
            + "\n"                                       // 9 blank: not a row
            + "a,b,c,d\n";                               // 10 too many fields
        byte[] badUtf8 = [(byte)'a', (byte)',', 0xFF, (byte)',', (byte)'c', (byte)'\n']; // 11
        string tail = "\"x\",\"\",\"ok\"\n"              // 12 valid, empty input
            + "\"never closed,b,c\nmore\n";              // 13 unterminated quote
        var r = Validate([.. Encoding.UTF8.GetBytes(head), .. badUtf8, .. Encoding.UTF8.GetBytes(tail)]);
        Assert.Equal(
        [
            (5, null, DatasetErrorKind.InvalidCsv),
            (6, null, DatasetErrorKind.InvalidCsv),
            (7, null, DatasetErrorKind.InvalidCsv),
            (8, "output", DatasetErrorKind.EmptyContent),
            (10, null, DatasetErrorKind.InvalidCsv),
            (11, "input", DatasetErrorKind.InvalidUtf8),
            (13, null, DatasetErrorKind.InvalidCsv),
        ], Summary(r));
        Assert.Equal(10, r.Rows);
        Assert.Equal(3, r.ValidRows);
        Assert.True(r.Incomplete);
    }

    [Fact]
    public void ChatCellsHoldJsonAndTheirErrorsNameTheField()
    {
        static string Cell(string json) => "\"" + json.Replace("\"", "\"\"") + "\"";
        string csv = "messages,source\n"
            + Cell("""[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]""") + ",a\n"  // 2
            + Cell("""[{"role":"user","content":"hi"}""") + ",b\n"                                       // 3 invalid JSON cell
            + Cell("""[{"role":"user","content":"hi"},{"role":"robot","content":"x"}]""") + ",c\n"       // 4
            + ",d\n";                                                                                     // 5 empty cell
        var r = Validate(csv);
        Assert.Equal(DatasetSchema.OpenAiChat, r.Schema);
        Assert.Equal(
        [
            (3, "messages", DatasetErrorKind.InvalidJson),
            (4, "messages[1].role", DatasetErrorKind.UnknownRole),
            (5, "messages", DatasetErrorKind.InvalidJson),
        ], Summary(r));
    }

    [Fact]
    public void AnEmptyFileOrHeaderOnlyFileIsNotValid()
    {
        var header = Validate("text\n");
        Assert.Equal(0, header.Rows);
        Assert.False(header.IsValid);

        var text = Validate("text\nhello world\n\"two\nlines\"\n");
        Assert.Equal(DatasetSchema.Text, text.Schema);
        Assert.Equal(2, text.ValidRows);
        Assert.True(text.IsValid);
    }
}
