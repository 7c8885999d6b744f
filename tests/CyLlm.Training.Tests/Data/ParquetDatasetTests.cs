using CyLlm.Training.Data;
using Parquet;
using Parquet.Schema;

namespace CyLlm.Training.Tests.Data;

public sealed class ParquetDatasetTests
{
    private static async Task<string> WriteAsync(ParquetSchema schema, params (DataField Field, string?[] Values)[][] groups)
    {
        string path = DataTestPaths.TempFile("rows.data", "");
        await using (var file = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, file);
            foreach (var group in groups)
            {
                using var rg = writer.CreateRowGroup();
                foreach (var (field, values) in group)
                {
                    await rg.WriteAsync(field, values!, null);
                }
            }
        }

        return path;
    }

    [Fact]
    public async Task RowsWrittenWithParquetNetValidateAndReadBackByRowIndex()
    {
        var instruction = new DataField<string>("instruction");
        var input = new DataField<string>("input");
        var output = new DataField<string>("output");
        string path = await WriteAsync(new ParquetSchema(instruction, input, output),
            [(instruction, ["add", "sub", "mul"]), (input, ["1 2", null, "2 3"]), (output, ["3", "", "6"])],
            [(instruction, ["neg", "div"]), (input, ["4", "6 3"]), (output, ["-4", null])]);

        var r = DatasetValidator.ValidateFile(path, DataTestPaths.Renderer("llama2"));
        Assert.Equal(DatasetFormat.Parquet, r.Format);
        Assert.Equal(DatasetSchema.Instruction, r.Schema);
        Assert.Equal(5, r.Rows);
        Assert.Equal(3, r.ValidRows);
        Assert.Equal(
        [
            ((long?)null, (long?)1, "output", DatasetErrorKind.EmptyContent),
            (null, 4, "output", DatasetErrorKind.MissingField),
        ], r.Errors.Select(e => (e.Line, e.Row, e.Field, e.Kind)).ToList());
        Assert.True(r.Tokens > 0);

        var reader = new DatasetReader(path, DataTestPaths.Renderer("llama2"), new DatasetReaderOptions { BlockRows = 1 });
        var examples = reader.ReadEpoch(DatasetPosition.Start).ToList();
        Assert.Equal([0L, 2L, 3L], examples.Select(e => e.SourceLine).ToList());
        var tok = DataTestPaths.Renderer("llama2").Tokenizer;
        Assert.Equal("-4", tok.Decode(examples[2].Tokens.Where((_, i) => examples[2].LossMask[i]), skipSpecial: true).Trim());
    }

    [Fact]
    public async Task NonStringDatasetColumnsAreRefusedWithTheColumnName()
    {
        var text = new DataField<int>("text");
        string path = DataTestPaths.TempFile("ints.parquet", "");
        await using (var file = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text), file);
            using var rg = writer.CreateRowGroup();
            await rg.WriteAsync(text, new ReadOnlyMemory<int>([1, 2]));
        }

        var r = DatasetValidator.ValidateFile(path);
        Assert.True(r.Incomplete);
        var e = Assert.Single(r.Errors);
        Assert.Equal(DatasetErrorKind.Unreadable, e.Kind);
        Assert.Contains("'text'", e.Message);
    }
}
