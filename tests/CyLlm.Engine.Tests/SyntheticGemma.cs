namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic Gemma 2 / Gemma 3 GGUF models of scripts/golden/gen_gemma.py (dim 192, 4 heads of 64 over 2 KV heads,
/// random norm weights, tied embeddings; gemma2: 4 layers, window 48 on every other layer, soft-caps 0.25 / 2.0;
/// gemma3: 7 layers, window 12 on all but layer 5, Q/K head norms, local RoPE base 10000 and global 1e6; F32 and F16
/// hold the same weights), generated on first use into artifacts/models and checked against
/// TestData/llamacpp/gemma-tiny.sha256, the files the llama.cpp goldens were made from. Never committed (~27 MB at
/// F32). Without python3 the test skips.
/// </summary>
internal static class SyntheticGemma
{
    /// <param name="ropeLinear">Gemma 3 only: linear RoPE scaling of the global layers with this factor (0 = none).</param>
    public static string Get(string arch, string type, int ropeLinear = 0)
    {
        string name = ropeLinear > 0 ? $"{arch}-linear{ropeLinear}-tiny-{type}.gguf" : $"{arch}-tiny-{type}.gguf";
        string[] args = ropeLinear > 0
            ? ["--arch", arch, "--type", type, "--rope-linear", ropeLinear.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : ["--arch", arch, "--type", type];
        return GeneratedModel.Get(name, "gen_gemma.py", "gemma-tiny.sha256", "llama_cpp_gemma.sh", args);
    }
}
