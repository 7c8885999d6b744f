using System.Text.Json;

namespace CyLlm.Cli.Tests;

public class GenerateCommandTests
{
    private const string GoldenText =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high";

    private static readonly int[] GoldenIds =
    [
        403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
        410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
        266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415,
    ];

    [Theory]
    [InlineData("stories260K.gguf", null)]
    [InlineData("stories260K.bin", "tok512.bin")]
    public void Prints_the_golden_text(string model, string? tokenizer)
    {
        var args = new List<string> { "generate", "--model", CliProcess.Shared(model), "--temperature", "0", "--max-tokens", "60" };
        if (tokenizer is not null)
        {
            args.AddRange(["--tokenizer", CliProcess.Shared(tokenizer)]);
        }

        var (code, stdout, stderr) = CliProcess.Run([.. args]);
        Assert.True(code == 0, stderr);
        Assert.Equal(GoldenText + "\n", stdout);
    }

    [Theory]
    [InlineData("stories260K.gguf", null)]
    [InlineData("stories260K.bin", "tok512.bin")]
    public void Json_gives_the_golden_token_ids(string model, string? tokenizer)
    {
        var args = new List<string> { "generate", "--model", CliProcess.Shared(model), "--temperature", "0", "--max-tokens", "60", "--json" };
        if (tokenizer is not null)
        {
            args.AddRange(["--tokenizer", CliProcess.Shared(tokenizer)]);
        }

        var (code, stdout, stderr) = CliProcess.Run([.. args]);
        Assert.True(code == 0, stderr);
        Assert.Single(stdout.TrimEnd('\n').Split('\n'));
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(GoldenIds, root.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([1], root.GetProperty("prompt_token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(GoldenText, root.GetProperty("text").GetString());
        Assert.True(root.GetProperty("timings").GetProperty("generation_tokens_per_second").GetDouble() > 0);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible()
    {
        string[] args = ["generate", "--model", CliProcess.Shared("stories260K.gguf"), "--temperature", "0.9", "--seed", "123", "--max-tokens", "30", "--prompt", "Once upon a time"];
        var a = CliProcess.Run(args);
        var b = CliProcess.Run(args);
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.StdOut, b.StdOut);
    }

    [Fact]
    public void Bench_prints_one_json_line_with_the_speeds()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "--model", CliProcess.Shared("stories260K.gguf"), "--prompt-tokens", "16", "--gen-tokens", "8", "--threads", "2", "-r", "1", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        foreach (var key in new[] { "prompt_tokens_per_second", "generation_tokens_per_second", "ttft_ms" })
        {
            Assert.True(doc.RootElement.GetProperty(key).GetDouble() > 0, key);
        }
    }

    [Fact]
    public void Inspect_describes_the_model()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", CliProcess.Shared("stories260K.gguf"));
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  Llama", stdout);
        Assert.Contains("layers:        5", stdout);
        Assert.Contains("heads:         8 (kv 4, head_dim 8)", stdout);
        Assert.Contains("blk.0.attn_q.weight", stdout);
        Assert.Contains("SentencePiece, 512 tokens", stdout);
    }
}
