using System.Text;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs.Batches;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>The batch worker keeps an input file's non-blank lines only: a valid input padded with 64 MiB of newlines
/// (upload validation admits it) is read in bounded memory, and line numbers stay those of the file.</summary>
public sealed class BatchInputMemoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-sparse-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Line(string id, string url = "/v1/chat/completions") =>
        $$$"""{"custom_id":"{{{id}}}","method":"POST","url":"{{{url}}}","body":{"messages":[]}}""";

    [Fact]
    public void A_file_padded_with_64_MiB_of_newlines_is_read_in_bounded_memory()
    {
        string path = Path.Combine(_dir, "padded.jsonl");
        using (var f = File.Create(path))
        {
            f.Write([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Line("a") + "\n")]);
            var block = new byte[1 << 20];
            Array.Fill(block, (byte)'\n');
            for (int i = 0; i < 64; i++)
            {
                f.Write(block);
            }

            f.Write(Encoding.UTF8.GetBytes(Line("b") + "\n"));
        }

        _ = SparseLines.Read(path); // warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var lines = SparseLines.Read(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 << 20, $"reading allocated {allocated:N0} bytes");
        Assert.Equal(2 + (64 << 20), lines.Count);
        Assert.Equal(Line("a"), lines[0]);
        Assert.Equal(string.Empty, lines[1]);
        Assert.Equal(Line("b"), lines[lines.Count - 1]);
        Assert.Equal(["a", "b"], BatchInput.Parse(lines, "/v1/chat/completions", 10).Select(l => l.CustomId));
    }

    [Fact]
    public void Errors_name_the_files_line_numbers()
    {
        string path = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(path, Line("a") + "\n\n\n" + Line("b", "/v1/embeddings") + "\n");
        var lines = SparseLines.Read(path);
        Assert.Equal([Line("a"), "", "", Line("b", "/v1/embeddings")], lines);
        var e = Assert.Throws<BatchInputException>(() => BatchInput.Parse(lines, "/v1/chat/completions", 10));
        Assert.Equal(4, e.LineNumber);
    }
}
