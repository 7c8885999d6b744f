namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic Qwen3 GGUF models of scripts/golden/gen_qwen3.py (dim 256, 4 layers, 8 heads over 4 KV heads,
/// head_dim 64 ≠ dim/heads, random Q/K head norms, tied embeddings; F32 and F16 hold the same weights),
/// generated on first use into artifacts/models and checked against TestData/llamacpp/qwen3-tiny.sha256, the
/// files the llama.cpp goldens were made from. Never committed (46 MB at F32). Without python3 the test skips.
/// </summary>
internal static class SyntheticQwen3
{
    public static string Get(string type) =>
        GeneratedModel.Get($"qwen3-tiny-{type}.gguf", "gen_qwen3.py", "qwen3-tiny.sha256", "llama_cpp_qwen3.sh", "--type", type);

    /// <summary>The F32 model with YaRN RoPE scaling (factor 4 from an original context of 128 of its 512).</summary>
    public static string GetYarn4() =>
        GeneratedModel.Get("qwen3-yarn4-tiny-f32.gguf", "gen_qwen3.py", "qwen3-tiny.sha256", "llama_cpp_qwen3.sh", "--type", "f32", "--yarn", "4");
}
