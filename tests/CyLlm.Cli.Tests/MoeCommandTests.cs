namespace CyLlm.Cli.Tests;

/// <summary>
/// The CLI on a mixture-of-experts model (the synthetic Q8_0 Qwen3-MoE of scripts/golden/gen_moe.py, generated here;
/// the engine tests compare it with llama.cpp): inspect shows the experts, generate runs it, and train refuses it in
/// one line instead of training a model without its router and experts. Skipped where python3 is absent.
/// </summary>
public sealed class MoeCommandTests
{
    private static string Model(string arch = "qwen3moe") =>
        SyntheticCliModel.Get($"cli-{arch}-tiny-q8_0.gguf", "gen_moe.py", "--arch", arch, "--type", "q8_0");

    [SkippableFact]
    public void Inspect_shows_the_experts()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model());
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  Qwen3Moe", stdout);
        Assert.Contains("experts:       16 (4 per token, ffn 128 each)", stdout);
        Assert.Contains("blk.0.ffn_gate_exps.weight", stdout);
    }

    [SkippableFact]
    public void Inspect_shows_the_qwen2moe_shared_expert()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model("qwen2moe"));
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  Qwen2Moe", stdout);
        Assert.Contains("experts:       16 (4 per token, ffn 128 each)", stdout);
        Assert.Contains("shared expert: ffn 384, sigmoid-gated", stdout);
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
        string dir = Directory.CreateTempSubdirectory("cyllm-cli-moe-").FullName;
        string data = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(data, "{\"text\":\"Once upon a time\"}\n");
        var (code, _, stderr) = CliProcess.Run("train", "--model", Model(), "--data", data, "--output", Path.Combine(dir, "out"), "--max-steps", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: training mixture-of-experts models (Qwen3Moe, 16 experts) is not supported", stderr.Trim(), StringComparison.Ordinal);
    }
}
