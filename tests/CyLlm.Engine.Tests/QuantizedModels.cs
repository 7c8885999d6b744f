using System.Diagnostics;
using System.Security.Cryptography;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic models of <see cref="SyntheticModels"/> quantized by llama.cpp's own llama-quantize into
/// artifacts/models (scripts/golden/llama_cpp_lowbit.sh writes the same files and records their sha256 in
/// TestData/llamacpp/lowbit.sha256; a different file is refused). Where no llama-quantize is built (CI: ../shared/peer
/// without ./setup.sh --native) the calling test reports skipped. The quantizer: $CYLLM_LLAMA_QUANTIZE, else
/// ../shared/peer/llama.cpp-src/build/bin/llama-quantize or build-avx2/bin/llama-quantize.
/// </summary>
internal static class QuantizedModels
{
    private static readonly Lock Gate = new();

    public static string Get(string preset, string ftype) =>
        Quantize(() => SyntheticModels.Get(preset, "f32"), $"{preset}-{ftype.ToLowerInvariant()}.gguf", ftype, "lowbit.sha256", "llama_cpp_lowbit.sh");

    /// <summary>The F32 model <paramref name="source"/> gives, quantized to <paramref name="ftype"/> as
    /// artifacts/models/<paramref name="name"/>, whose sha256 <paramref name="shaList"/> (written by
    /// scripts/golden/<paramref name="goldenScript"/>) lists.</summary>
    public static string Quantize(Func<string> source, string name, string ftype, string shaList, string goldenScript)
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "artifacts", "models");
        string path = Path.Combine(dir, name);
        lock (Gate)
        {
            string expected = ExpectedSha(name, shaList);
            if (File.Exists(path) && Sha(path) == expected)
            {
                return path;
            }

            string? quantize = Quantizer();
            Skip.If(quantize is null, $"{name}: no llama-quantize here (set CYLLM_LLAMA_QUANTIZE or build ../shared/peer with ./setup.sh --native)");
            string sourcePath = source();
            var psi = new ProcessStartInfo(quantize!)
            {
                ArgumentList = { sourcePath, path, ftype, "2" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(600_000) || p.ExitCode != 0)
            {
                throw new InvalidOperationException($"llama-quantize {ftype} failed for {name}: {err.Result}");
            }

            string actual = Sha(path);
            if (actual != expected)
            {
                throw new InvalidOperationException($"{name}: sha256 {actual} differs from {shaList} ({expected}): another llama-quantize version? Regenerate with scripts/golden/{goldenScript}");
            }

            return path;
        }
    }

    private static string? Quantizer()
    {
        string? env = Environment.GetEnvironmentVariable("CYLLM_LLAMA_QUANTIZE");
        if (!string.IsNullOrEmpty(env))
        {
            return File.Exists(env) ? env : null;
        }

        foreach (string build in new[] { "build", "build-avx2" })
        {
            string p = Path.Combine(TestPaths.SharedPeer, "llama.cpp-src", build, "bin", "llama-quantize");
            if (File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    private static string ExpectedSha(string name, string shaList)
    {
        foreach (var line in File.ReadLines(TestPaths.TestData(Path.Combine("llamacpp", shaList))))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == name)
            {
                return parts[0];
            }
        }

        throw new InvalidOperationException($"{name} is not listed in {shaList}");
    }

    private static string Sha(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
