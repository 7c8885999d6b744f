namespace CyLlm.Cli.Tests;

/// <summary>
/// The CLI on the synthetic gpt-oss model of scripts/golden/gen_gptoss.py (the engine tests compare it with llama.cpp):
/// inspect names the architecture, its window, routing, clamped SwiGLU and attention sinks; generate runs it.
/// Skipped where python3 is absent.
/// </summary>
public sealed class GptOssCommandTests
{
    private static string Model() => SyntheticCliModel.Get("cli-gptoss-tiny-f32.gguf", "gen_gptoss.py");

    [SkippableFact]
    public void Inspect_shows_the_gpt_oss_features()
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model());
        Assert.True(code == 0, stderr);
        Assert.Contains("architecture:  GptOss", stdout);
        Assert.Contains("window:        16 tokens on 2 of 4 layers", stdout);
        Assert.Contains("experts:       16 (4 per token, ffn 128 each)", stdout);
        Assert.Contains("routing:       softmax over the selected logits, router and expert biases, clamped SwiGLU (alpha 1.702, limit 7)", stdout);
        Assert.Contains("attention:     per-head sinks, output bias", stdout);
        Assert.Contains("YaRN x4 from 256", stdout);
        Assert.Contains("pre gpt-4o", stdout);
        Assert.Contains("blk.0.attn_sinks.weight", stdout);
    }

    [SkippableFact]
    public void Generate_runs_it()
    {
        var (code, stdout, stderr) = CliProcess.Run("generate", "--model", Model(), "--prompt", "<|start|>user<|message|>Hi<|end|><|start|>assistant", "--temperature", "0", "--max-tokens", "4", "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"token_ids\"", stdout, StringComparison.OrdinalIgnoreCase);
    }
}
