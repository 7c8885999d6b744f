using CyLlm.Training.Data;
using static CyLlm.Training.Tests.Data.DataTestFiles;

namespace CyLlm.Training.Tests.Data;

public sealed class JsonArrayValidationTests
{
    [Fact]
    public void ErrorsCarryTheElementIndexAndTheLineItStartsOn()
    {
        string json = "\uFEFF [\n"                                  // 1
            + "  " + ValidText + ",\n"                              // 2: element 0
            + "  {\"text\":\n    42},\n"                            // 3-4: element 1, wrong type
            + "  \"just a string\",\n"                              // 5: element 2, not an object
            + "  {\"text\": \"ok\"}\n"                              // 6: element 3
            + "]\n";
        var r = Validate(json);
        Assert.Equal(DatasetFormat.JsonArray, r.Format);
        Assert.Equal(DatasetSchema.Text, r.Schema);
        Assert.Equal(4, r.Rows);
        Assert.Equal(2, r.ValidRows);
        Assert.Equal(2, r.Errors.Count);
        Assert.Equal((3L, 1L, "text", DatasetErrorKind.WrongType), (r.Errors[0].Line!.Value, r.Errors[0].Row!.Value, r.Errors[0].Field, r.Errors[0].Kind));
        Assert.Equal((5L, 2L, (string?)null, DatasetErrorKind.WrongType), (r.Errors[1].Line!.Value, r.Errors[1].Row!.Value, r.Errors[1].Field, r.Errors[1].Kind));
        Assert.False(r.Incomplete);
    }

    [Fact]
    public void ASyntaxErrorStopsTheReadAndSaysWhere()
    {
        string json = "[\n" + ValidText + ",\n" + ValidText + ",\n{\"text\": \"broken\" oops},\n" + ValidText + "\n]";
        var r = Validate(json);
        Assert.True(r.Incomplete);
        Assert.Equal(2, r.ValidRows);
        var e = Assert.Single(r.Errors);
        Assert.Equal(DatasetErrorKind.InvalidJson, e.Kind);
        Assert.Equal(4, e.Line);
        Assert.Equal(2, e.Row);
    }

    [Fact]
    public void AnUnclosedArrayIsIncomplete()
    {
        var r = Validate("[" + ValidText + "," + ValidText);
        Assert.True(r.Incomplete);
        Assert.Equal(2, r.ValidRows);
        Assert.Contains(r.Errors, e => e.Kind == DatasetErrorKind.Unreadable);
        Assert.False(r.IsValid);

        var empty = Validate("[ ]");
        Assert.Equal(0, empty.Rows);
        Assert.False(empty.Incomplete);
    }

    [Fact]
    public void ElementsLargerThanTheReadBufferAreRead()
    {
        string big = "{\"text\":\"" + new string('y', 200_000) + "\"}";
        var r = Validate("[" + big + ",\n" + big + "]");
        Assert.Equal(2, r.ValidRows);
        Assert.Empty(r.Errors);
    }
}
