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

    public static string Get(string preset, string ftype)
    {
        string name = $"{preset}-{ftype.ToLowerInvariant()}.gguf";
        string dir = Path.Combine(TestPaths.RepoRoot, "artifacts", "models");
        string path = Path.Combine(dir, name);
        lock (Gate)
        {
            string expected = ExpectedSha(name);
            if (File.Exists(path) && Sha(path) == expected)
            {
                return path;
            }

            string? quantize = Quantizer();
            Skip.If(quantize is null, $"{name}: no llama-quantize here (set CYLLM_LLAMA_QUANTIZE or build ../shared/peer with ./setup.sh --native)");
            string source = SyntheticModels.Get(preset, "f32");
            var psi = new ProcessStartInfo(quantize!)
            {
                ArgumentList = { source, path, ftype, "2" },
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
                throw new InvalidOperationException($"{name}: sha256 {actual} differs from lowbit.sha256 ({expected}): another llama-quantize version? Regenerate with scripts/golden/llama_cpp_lowbit.sh");
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

    private static string ExpectedSha(string name)
    {
        foreach (var line in File.ReadLines(TestPaths.TestData(Path.Combine("llamacpp", "lowbit.sha256"))))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == name)
            {
                return parts[0];
            }
        }

        throw new InvalidOperationException($"{name} is not listed in lowbit.sha256");
    }

    private static string Sha(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
