namespace CyLlm.Cli.Tests;

/// <summary>
/// The CLI on a Gemma 3 model (the synthetic F16 model of scripts/golden/gen_gemma.py, generated here; the engine
/// tests compare it with llama.cpp): inspect names the architecture, the sliding window and the head norms, generate
/// runs it, and train refuses it in one line instead of training a model without GeGLU, post-norms and windows.
/// Skipped where python3 is absent.
/// </summary>
public sealed class GemmaCommandTests
{
    private static string Model() =>
        SyntheticCliModel.Get("cli-gemma3-tiny-f16.gguf", "gen_gemma.py", "--arch", "gemma3", "--type", "f16");

    [SkippableFact]
    public void Inspect_shows_the_gemma3_architecture_window_and_head_norms()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model());
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  Gemma3", stdout);
        Assert.Contains("heads:         4 (kv 2, head_dim 64)", stdout);
        Assert.Contains("qk head norm:  True", stdout);
        Assert.Contains("window:        12 tokens on 6 of 7 layers", stdout);
        Assert.Contains("blk.0.post_ffw_norm.weight", stdout);
    }

    [SkippableFact]
    public void Generate_runs_it()
    {
        var (code, stdout, stderr) = CliProcess.Run("generate", "--model", Model(), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "4", "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"token_ids\"", stdout, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void Train_refuses_it_in_one_line()
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-cli-gemma3-").FullName;
        string data = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(data, "{\"text\":\"Once upon a time\"}\n");
        var (code, _, stderr) = CliProcess.Run("train", "--model", Model(), "--data", data, "--output", Path.Combine(dir, "out"), "--max-steps", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: training Gemma3 models is not supported", stderr.Trim(), StringComparison.Ordinal);
    }
}
