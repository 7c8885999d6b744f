namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic Phi-3 GGUF models of scripts/golden/gen_phi3.py (dim 256, 8 query heads over 4 KV heads of 32, ffn 512,
/// 4 layers, fused attn_qkv and gate-up ffn_up, separate output.weight; variant "phi3": LongRoPE factors with original
/// context 256 below context_length 1024 and attention factor √(1 + ln 4 / ln 256); variant "phi4": neither), F32 and F16
/// holding the same weights, generated on first use into artifacts/models and checked against
/// TestData/llamacpp/phi3-tiny.sha256, the files the llama.cpp goldens were made from. Never committed (~76 MB at F32).
/// Without python3 the test skips.
/// </summary>
internal static class SyntheticPhi3
{
    public static string Get(string variant, string type) =>
        GeneratedModel.Get($"{variant}-tiny-{type}.gguf", "gen_phi3.py", "phi3-tiny.sha256", "llama_cpp_phi3.sh", "--variant", variant, "--type", type);
}
