namespace CyLlm.Cli.Tests;

/// <summary>
/// The CLI on the synthetic F16 Qwen3, Gemma 3 and Phi-3 (LongRoPE) models of scripts/golden (generated here; the engine
/// tests compare them with llama.cpp): inspect names each architecture and what sets it apart (head norms, the sliding
/// window, the fused matrices and LongRoPE), generate runs it, and train refuses it in one line instead of training a
/// model without those parts. Skipped where python3 is absent.
/// </summary>
public sealed class ArchitectureCommandTests
{
    private sealed record Arch(string File, string[] Generator, string[] Inspect, string TrainError);

    private static readonly Dictionary<string, Arch> Archs = new(StringComparer.Ordinal)
    {
        ["qwen3"] = new(
            "cli-qwen3-tiny-f16.gguf",
            ["gen_qwen3.py", "--type", "f16"],
            ["architecture:  Qwen3", "heads:         8 (kv 4, head_dim 64)", "qk head norm:  True", "qkv bias:      False", "blk.0.attn_q_norm.weight"],
            "error: training Qwen3 models is not supported"),
        ["gemma3"] = new(
            "cli-gemma3-tiny-f16.gguf",
            ["gen_gemma.py", "--arch", "gemma3", "--type", "f16"],
            ["architecture:  Gemma3", "heads:         4 (kv 2, head_dim 64)", "qk head norm:  True", "window:        12 tokens on 6 of 7 layers", "blk.0.post_ffw_norm.weight"],
            "error: training Gemma3 models is not supported"),
        ["phi3"] = new(
            "cli-phi3-tiny-f16.gguf",
            ["gen_phi3.py", "--variant", "phi3", "--type", "f16"],
            ["architecture:  Phi3", "heads:         8 (kv 4, head_dim 32)", "fused:         qkv gate-up", "LongRoPE from 256", "blk.0.attn_qkv.weight"],
            "error: training Phi3 models with fused QKV / gate-up matrices or LongRoPE / YaRN scaling is not supported"),
    };

    public static TheoryData<string> Names => [.. Archs.Keys];

    private static string Model(string arch) => SyntheticCliModel.Get(Archs[arch].File, Archs[arch].Generator[0], Archs[arch].Generator[1..]);

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Inspect_names_the_architecture_and_its_features(string arch)
    {
        var (code, stdout, stderr) = CliProcess.Run("inspect", "--model", Model(arch));
        Assert.True(code == 0, stderr);
        foreach (string line in Archs[arch].Inspect)
        {
            Assert.Contains(line, stdout);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Generate_runs_it(string arch)
    {
        var (code, stdout, stderr) = CliProcess.Run("generate", "--model", Model(arch), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "4", "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"token_ids\"", stdout, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Train_refuses_it_in_one_line(string arch)
    {
        string dir = Directory.CreateTempSubdirectory($"cyllm-cli-{arch}-").FullName;
        string data = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(data, "{\"text\":\"Once upon a time\"}\n");
        var (code, _, stderr) = CliProcess.Run("train", "--model", Model(arch), "--data", data, "--output", Path.Combine(dir, "out"), "--max-steps", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith(Archs[arch].TrainError, stderr.Trim(), StringComparison.Ordinal);
    }
}
