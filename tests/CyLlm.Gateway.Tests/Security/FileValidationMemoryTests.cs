using System.Text;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>Upload validation reads a file line by line and keeps none: a huge file of newlines costs a buffer, not a
/// list of hundreds of millions of strings; bad lines give the same errors as before.</summary>
public sealed class FileValidationMemoryTests : IDisposable
{
    private const string BatchLine = """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}""";
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>64 MiB of empty lines around one valid line.</summary>
    private string Newlines(string line)
    {
        string path = Path.Combine(_dir, "newlines.jsonl");
        using var f = File.Create(path);
        var block = new byte[1 << 20];
        Array.Fill(block, (byte)'\n');
        for (int i = 0; i < 32; i++)
        {
            f.Write(block);
        }

        f.Write(Encoding.UTF8.GetBytes(line + "\n"));
        for (int i = 0; i < 32; i++)
        {
            f.Write(block);
        }

        return path;
    }

    [Theory]
    [InlineData("batch", BatchLine)]
    [InlineData("fine-tune", """{"messages":[]}""")]
    public void A_file_of_64_MiB_of_newlines_validates_in_bounded_memory(string purpose, string line)
    {
        string path = Newlines(line);
        FileUploadHandler.Validate(path, purpose); // warm-up: JIT, static buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        FileUploadHandler.Validate(path, purpose);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 << 20, $"validating a 64 MiB file allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData("batch", "\n\n{\"custom_id\":\"a\"", "line 3: not valid JSON")]
    [InlineData("batch", BatchLine + "\n[1]", "line 2: expected a JSON object")]
    [InlineData("batch", BatchLine + "\n\n" + BatchLine, "line 3: duplicate custom_id 'a'")]
    [InlineData("batch", "\n  \n", "the batch input has no requests")]
    [InlineData("fine-tune", "{}\n\n\"text\"", "line 3: expected a JSON object")]
    [InlineData("fine-tune", "{}\n{", "line 2: not valid JSON")]
    [InlineData("fine-tune", "\n\n", "the file has no JSON lines")]
    public void Bad_lines_are_named_as_before(string purpose, string content, string expected)
    {
        var e = Assert.Throws<ApiError>(() => FileUploadHandler.Validate(Write("bad.jsonl", content), purpose));
        Assert.Equal(400, e.Status);
        Assert.Contains($"The {purpose} file is invalid", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_and_a_leading_byte_order_mark_are_handled_as_before()
    {
        string bad = Path.Combine(_dir, "latin1.jsonl");
        File.WriteAllBytes(bad, [.. Encoding.UTF8.GetBytes("{}\n{\"a\":\""), 0xE9, .. "\"}\n"u8.ToArray()]);
        var e = Assert.Throws<ApiError>(() => FileUploadHandler.Validate(bad, "fine-tune"));
        Assert.Contains("not UTF-8 text", e.Message, StringComparison.Ordinal);

        string bom = Path.Combine(_dir, "bom.jsonl");
        File.WriteAllBytes(bom, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(BatchLine + "\n")]);
        FileUploadHandler.Validate(bom, "batch");
    }
}
