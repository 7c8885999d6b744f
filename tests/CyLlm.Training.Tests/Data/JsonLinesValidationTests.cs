using System.Text;
using CyLlm.Training.Data;
using static CyLlm.Training.Tests.Data.DataTestFiles;

namespace CyLlm.Training.Tests.Data;

public sealed class JsonLinesValidationTests
{
    [Fact]
    public void EveryMalformedRowKindIsReportedOnItsLine()
    {
        string before = Lines(
            ValidChat,                                                                                          // 1
            """{"messages": [""",                                                                               // 2 invalid JSON
            "",                                                                                                 // 3 blank: not a row
            "[1,2]",                                                                                            // 4 not an object
            """{"messages":[{"role":"bot","content":"x"},{"role":"assistant","content":"y"}]}""",               // 5
            """{"messages":[{"role":"user","content":"  "},{"role":"assistant","content":"y"}]}""",             // 6
            """{"messages":[{"role":"user","content":"hi"}]}""",                                                // 7
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"a"},{"role":"user","content":"b"}]}""", // 8
            """{"messages":[{"role":"user","content":5},{"role":"assistant","content":"a"}]}""",                // 9
            """{"messages":[{"content":"x"},{"role":"assistant","content":"a"}]}""",                            // 10
            """{"messages":"hello"}""",                                                                         // 11
            ValidShareGpt,                                                                                      // 12
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"a","weight":2}]}""",  // 13
            """{"messages":[{"role":"user","content":"hi","weight":1},{"role":"assistant","content":"a"}]}""");  // 14
        byte[] bad = [.. Encoding.UTF8.GetBytes("{\"text\":\"caf"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}\n")]; // 15
        string after = Lines(
            """{"foo":1}""",                                                                                    // 16
            """{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y","weight":0}]}""",   // 17
            """{"messages":[]}""") + ValidChat.Replace("}]}", "}]}\r");                                          // 18, 19 (CRLF)
        var r = Validate([.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)]);

        Assert.Equal(DatasetFormat.JsonLines, r.Format);
        Assert.Equal(DatasetSchema.OpenAiChat, r.Schema);
        Assert.Equal(
        [
            (2, null, DatasetErrorKind.InvalidJson),
            (4, null, DatasetErrorKind.WrongType),
            (5, "messages[0].role", DatasetErrorKind.UnknownRole),
            (6, "messages[0].content", DatasetErrorKind.EmptyContent),
            (7, "messages", DatasetErrorKind.NoAssistantMessage),
            (8, "messages[2]", DatasetErrorKind.NotEndingWithAssistant),
            (9, "messages[0].content", DatasetErrorKind.WrongType),
            (10, "messages[0].role", DatasetErrorKind.MissingField),
            (11, "messages", DatasetErrorKind.WrongType),
            (12, null, DatasetErrorKind.SchemaMismatch),
            (13, "messages[1].weight", DatasetErrorKind.InvalidWeight),
            (14, "messages[0].weight", DatasetErrorKind.InvalidWeight),
            (15, null, DatasetErrorKind.InvalidUtf8),
            (16, "messages", DatasetErrorKind.MissingField),
            (17, "messages", DatasetErrorKind.NoAssistantMessage),
            (18, "messages", DatasetErrorKind.NoAssistantMessage),
        ], Summary(r));
        Assert.Equal(18, r.Rows);
        Assert.Equal(2, r.ValidRows);
        Assert.Equal(16, r.ErrorCount);
        Assert.False(r.IsValid);
        Assert.False(r.Incomplete);
        Assert.Equal(1, r.RowsBySchema["ShareGpt"]);
    }

    [Fact]
    public void SchemaComesFromTheFirstValidRowNotTheFirstRow()
    {
        // The first row looks like plain text (and is broken); the first valid row is a chat row.
        var r = Validate(Lines("""{"text":5}""", ValidChat, ValidChat, ValidText));
        Assert.Equal(DatasetSchema.OpenAiChat, r.Schema);
        Assert.Equal([(1, null, DatasetErrorKind.SchemaMismatch), (4, null, DatasetErrorKind.SchemaMismatch)], Summary(r));
        Assert.Equal(2, r.ValidRows);
    }

    [Fact]
    public void EachSchemaIsRecognisedAndItsOwnErrorsReported()
    {
        var share = Validate(Lines(ValidShareGpt, """{"conversations":[{"from":"robot","value":"x"},{"from":"gpt","value":"y"}]}""", """{"conversations":[{"from":"human","value":"x"},{"from":"gpt"}]}"""));
        Assert.Equal(DatasetSchema.ShareGpt, share.Schema);
        Assert.Equal([(2, "conversations[0].from", DatasetErrorKind.UnknownRole), (3, "conversations[1].value", DatasetErrorKind.MissingField)], Summary(share));

        var inst = Validate(Lines(ValidInstruction, """{"instruction":"x"}""", """{"instruction":"x","output":""}""", """{"instruction":"x","input":3,"output":"y"}""", """{"instruction":"x","output":"y"}"""));
        Assert.Equal(DatasetSchema.Instruction, inst.Schema);
        Assert.Equal([(2, "output", DatasetErrorKind.MissingField), (3, "output", DatasetErrorKind.EmptyContent), (4, "input", DatasetErrorKind.WrongType)], Summary(inst));
        Assert.Equal(2, inst.ValidRows);

        var text = Validate(Lines(ValidText, """{"text":""}""", """{"text":["a"]}""", """{"other":"x"}"""));
        Assert.Equal(DatasetSchema.Text, text.Schema);
        Assert.Equal([(2, "text", DatasetErrorKind.EmptyContent), (3, "text", DatasetErrorKind.WrongType), (4, "text", DatasetErrorKind.MissingField)], Summary(text));
    }

    [Fact]
    public void AFileWithoutAnyValidRowStillNamesItsErrors()
    {
        var r = Validate(Lines("""{"a":1}""", """{"b":2}"""));
        Assert.Null(r.Schema);
        Assert.Equal([(1, null, DatasetErrorKind.UnknownSchema), (2, null, DatasetErrorKind.UnknownSchema)], Summary(r));
        Assert.False(r.IsValid);
    }

    [Fact]
    public void StoredErrorsAreCappedButAllAreCounted()
    {
        var lines = Enumerable.Repeat("""{"text":""}""", 50).Prepend(ValidText).ToArray();
        var r = Validate(Lines(lines), options: new DatasetValidationOptions { MaxStoredErrors = 10 });
        Assert.Equal(10, r.Errors.Count);
        Assert.Equal(50, r.ErrorCount);
        Assert.Equal(2, r.Errors[0].Line);
        Assert.Equal(11, r.Errors[^1].Line);
    }

    [Fact]
    public void ALineOverTheByteLimitIsReportedAndTheNextOneStillRead()
    {
        string big = """{"text":" """ + new string('x', 300_000) + "\"}";
        var r = Validate(Lines(ValidText, big, ValidText), options: new DatasetValidationOptions { MaxRowBytes = 100_000 });
        Assert.Equal([(2, null, DatasetErrorKind.RowTooLarge)], Summary(r));
        Assert.Equal(3, r.Rows);
        Assert.Equal(2, r.ValidRows);
    }

    [Fact]
    public void TheReportRoundTripsThroughJson()
    {
        var r = Validate(Lines(ValidChat, """{"messages":5}"""));
        string json = r.ToJson();
        Assert.Contains("\"kind\":\"WrongType\"", json);
        Assert.Contains("\"schema\":\"OpenAiChat\"", json);
        var back = DatasetValidationReport.FromJson(json);
        Assert.Equal(r.Rows, back.Rows);
        Assert.Equal(r.ValidRows, back.ValidRows);
        Assert.Equal(r.Schema, back.Schema);
        Assert.Equal(r.Errors, back.Errors);
    }
}
