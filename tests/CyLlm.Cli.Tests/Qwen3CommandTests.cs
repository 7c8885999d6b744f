namespace CyLlm.Cli.Tests;

/// <summary>
/// The CLI on a Qwen3 model (the synthetic F16 model of scripts/golden/gen_qwen3.py, generated here; the engine
/// tests compare it with llama.cpp): inspect names the architecture and the head norms, generate runs it, and train
/// refuses it in one line instead of training a model without its Q/K head norms. Skipped where python3 is absent.
/// </summary>
public sealed class Qwen3CommandTests
{
    private static string Model() =>
        SyntheticCliModel.Get("cli-qwen3-tiny-f16.gguf", "gen_qwen3.py", "--type", "f16");

    [SkippableFact]
    public void Inspect_shows_the_qwen3_architecture_and_head_norms()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model());
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  Qwen3", stdout);
        Assert.Contains("heads:         8 (kv 4, head_dim 64)", stdout);
        Assert.Contains("qk head norm:  True", stdout);
        Assert.Contains("qkv bias:      False", stdout);
        Assert.Contains("blk.0.attn_q_norm.weight", stdout);
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
        string dir = Directory.CreateTempSubdirectory("cyllm-cli-qwen3-").FullName;
        string data = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(data, "{\"text\":\"Once upon a time\"}\n");
        var (code, _, stderr) = CliProcess.Run("train", "--model", Model(), "--data", data, "--output", Path.Combine(dir, "out"), "--max-steps", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: training Qwen3 models is not supported", stderr.Trim(), StringComparison.Ordinal);
    }
}
