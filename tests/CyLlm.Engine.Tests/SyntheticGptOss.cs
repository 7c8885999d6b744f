namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic gpt-oss GGUF models of scripts/golden/gen_gptoss.py (dim 256, 4 layers with layers 0 and 2 sliding,
/// 8 query heads of 64 over 2 KV heads, 16 experts of width 128 with 4 per token, YaRN, a byte-level BPE vocabulary with
/// the harmony special tokens and the real gpt-oss chat template): window 16 (shorter than the golden prompt) or 4096
/// (longer than prompt and generation), the same weights; and the window-16 model quantized by llama-quantize to
/// MXFP4_MOE. Generated on first use into artifacts/models and checked against TestData/llamacpp/gptoss-tiny.sha256.
/// Without python3 (or, for the quantized copy, a llama-quantize) the tests skip.
/// </summary>
internal static class SyntheticGptOss
{
    public static string Get(int window) =>
        GeneratedModel.Get($"gptoss-w{window}-tiny-f32.gguf", "gen_gptoss.py", "gptoss-tiny.sha256", "llama_cpp_gptoss.sh", "--window", window.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string Mxfp4Moe() =>
        QuantizedModels.Quantize(() => Get(16), "gptoss-w16-tiny-mxfp4_moe.gguf", "MXFP4_MOE", "gptoss-tiny.sha256", "llama_cpp_gptoss.sh");
}
