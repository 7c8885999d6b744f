namespace CyLlm.Cli.Tests;

/// <summary>
/// The CLI on a Phi-3 model (the synthetic F16 LongRoPE model of scripts/golden/gen_phi3.py, generated here; the engine
/// tests compare it with llama.cpp): inspect names the architecture, the fused matrices and the LongRoPE scaling, generate
/// runs it, and train refuses it in one line instead of training a model without its fused matrices or LongRoPE.
/// Skipped where python3 is absent.
/// </summary>
public sealed class Phi3CommandTests
{
    private static string Model() =>
        SyntheticCliModel.Get("cli-phi3-tiny-f16.gguf", "gen_phi3.py", "--variant", "phi3", "--type", "f16");

    [SkippableFact]
    public void Inspect_shows_the_phi3_architecture_fused_matrices_and_longrope()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model());
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  Phi3", stdout);
        Assert.Contains("heads:         8 (kv 4, head_dim 32)", stdout);
        Assert.Contains("fused:         qkv gate-up", stdout);
        Assert.Contains("LongRoPE from 256", stdout);
        Assert.Contains("blk.0.attn_qkv.weight", stdout);
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
        string dir = Directory.CreateTempSubdirectory("cyllm-cli-phi3-").FullName;
        string data = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(data, "{\"text\":\"Once upon a time\"}\n");
        var (code, _, stderr) = CliProcess.Run("train", "--model", Model(), "--data", data, "--output", Path.Combine(dir, "out"), "--max-steps", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: training Phi3 models with fused QKV / gate-up matrices or LongRoPE / YaRN scaling is not supported", stderr.Trim(), StringComparison.Ordinal);
    }
}
