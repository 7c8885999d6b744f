namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic mixture-of-experts GGUF models of scripts/golden/gen_moe.py: "mixtral" (arch llama, dim 256, 4 layers,
/// 8 experts of width 256, 2 per token, tied embeddings) and "qwen3moe" (Qwen3 attention with head_dim 64 ≠ dim/heads,
/// 16 experts of width 128, 4 per token), each at F32 and Q8_0 (the same weights). Generated on first use into
/// artifacts/models and checked against TestData/llamacpp/moe-tiny.sha256, the files the llama.cpp goldens were made
/// from. Never committed. Without python3 the tests skip.
/// </summary>
internal static class SyntheticMoe
{
    public static string Get(string arch, string type) =>
        GeneratedModel.Get($"{arch}-tiny-{type}.gguf", "gen_moe.py", "moe-tiny.sha256", "llama_cpp_moe.sh", "--arch", arch, "--type", type);
}
