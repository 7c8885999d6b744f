using CyLlm.Tensors;

namespace CyLlm.Models.Tests;

/// <summary>Format detection by content, tokenizer replacement, progress, and the errors for paths that are not
/// models at all.</summary>
public sealed class ModelLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-loader-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void The_format_comes_from_content_not_the_extension()
    {
        using (var g = ModelLoader.Load(Write(GgufTestWriter.TinyLlama().Build(), "model.bin")))
        {
            Assert.Equal("gguf", g.Format);
        }

        using var l = ModelLoader.Load(Write(LlamaCTestWriter.Legacy(LlamaCTestWriter.Tiny), "model.gguf"));
        Assert.Equal("llama2c", l.Format);
    }

    [Fact]
    public void A_model_reached_through_a_relative_symlink_loads_with_the_target_size()
    {
        // The Hugging Face cache serves every file as snapshots/{commit}/{file} -> ../../blobs/{sha256}.
        byte[] bytes = GgufTestWriter.TinyLlama().Build();
        Directory.CreateDirectory(Path.Combine(_dir, "blobs"));
        Write(bytes, Path.Combine("blobs", "0123abcd"));
        string snapshot = Path.Combine(_dir, "snapshots", "c0ffee");
        Directory.CreateDirectory(snapshot);
        string link = Path.Combine(snapshot, "tiny.gguf");
        File.CreateSymbolicLink(link, Path.Combine("..", "..", "blobs", "0123abcd"));

        using var m = ModelLoader.Load(link);

        Assert.Equal("gguf", m.Format);
        Assert.Equal(bytes.Length, MappedFile.Target(link).Length);
    }

    [Fact]
    public void Files_that_are_not_models_fail_with_one_line()
    {
        (byte[] Bytes, string Fragment)[] cases =
        [
            ("lmgg\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"u8.ToArray(), "pre-GGUF ggml/ggjt file"),
            ("tjgg\u0003\0\0\0"u8.ToArray(), "pre-GGUF"),
            ("Hello, this is a text file and not a model at all."u8.ToArray(), "unrecognised model format"),
            ([1, 2, 3], "unrecognised model format"),
            ([], "the file is empty"),
        ];
        int i = 0;
        foreach (var (bytes, fragment) in cases)
        {
            var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes, $"x{i++}.bin")).Dispose());
            Assert.Contains(fragment, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void Missing_paths_are_file_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(Path.Combine(_dir, "nope.gguf")));
        Assert.Throws<FileNotFoundException>(() => ModelLoader.LoadTokenizer(Path.Combine(_dir, "nope.bin")));
        Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(TestPaths.Model("stories260K.bin"), Path.Combine(_dir, "nope.bin")));
        Assert.Throws<ArgumentException>(() => ModelLoader.Load(""));
    }

    [Fact]
    public void Progress_hears_the_start_and_the_end()
    {
        var seen = new List<double>();
        using var m = ModelLoader.Load(TestPaths.Model("stories260K.gguf"), progress: new Recorder(seen));
        Assert.Equal([0.0, 1.0], seen);
    }

    [Fact]
    public void A_replacement_tokenizer_keeps_the_weights_mapped()
    {
        using var m = ModelLoader.Load(TestPaths.Model("stories260K.gguf"), TestPaths.Model("tok512.bin"));
        Assert.Equal("<s>", m.Tokenizer!.Tokens[1]);
        Assert.Equal(GgmlType.F32, m.Get("token_embd.weight").Type);
        Assert.NotEqual(0, m.Get("token_embd.weight").Data);
        Assert.Throws<ModelFormatException>(() => m.Get("no.such.tensor"));
        Assert.Null(m.TryGet("no.such.tensor"));
    }

    [Fact]
    public void Every_format_loads_a_tokenizer_alone()
    {
        Assert.Equal(512, ModelLoader.LoadTokenizer(TestPaths.Model("tok512.bin")).Tokens.Count);
        Assert.Equal(512, ModelLoader.LoadTokenizer(TestPaths.Model("stories260K.gguf")).Tokens.Count);
        var f = new HfTestFolder(Path.Combine(_dir, "hf")).Write();
        Assert.Equal(10, ModelLoader.LoadTokenizer(Path.Combine(f.Folder, "tokenizer.json")).Tokens.Count);

        var noTokenizer = GgufTestWriter.TinyLlama().Without("tokenizer.ggml.model");
        Assert.Contains("holds no tokenizer", Assert.Throws<ModelFormatException>(() => ModelLoader.LoadTokenizer(Write(noTokenizer.Build(), "nt.gguf"))).Message);
    }

    private sealed class Recorder(List<double> seen) : IProgress<double>
    {
        public void Report(double value) => seen.Add(value);
    }
}
