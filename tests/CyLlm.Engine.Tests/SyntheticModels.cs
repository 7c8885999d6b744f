using System.Diagnostics;
using System.Security.Cryptography;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic GGUF models of ../shared/peer/gen_gguf.py, generated on first use into artifacts/models
/// (byte-identical every time; checked against ../shared/peer/models.sha256) — never committed.
/// </summary>
internal static class SyntheticModels
{
    private static readonly Lock Gate = new();

    public static string Get(string preset, string type)
    {
        string name = $"{preset}-{type}.gguf";
        string dir = Path.Combine(TestPaths.RepoRoot, "artifacts", "models");
        string path = Path.Combine(dir, name);
        lock (Gate)
        {
            string expected = ExpectedSha(name);
            if (File.Exists(path) && Sha(path) == expected)
            {
                return path;
            }

            Directory.CreateDirectory(dir);
            var psi = new ProcessStartInfo("python3")
            {
                ArgumentList =
                {
                    Path.Combine(TestPaths.SharedPeer, "gen_gguf.py"), "--preset", preset, "--type", type,
                    "--tokenizer-from", Path.Combine(TestPaths.SharedModels, "llama-2-tiny-random.gguf"), "-o", path,
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(300_000) || p.ExitCode != 0)
            {
                throw new InvalidOperationException($"gen_gguf.py failed for {name}: {err}");
            }

            string actual = Sha(path);
            if (actual != expected)
            {
                throw new InvalidOperationException($"{name}: sha256 {actual} differs from models.sha256 ({expected})");
            }

            return path;
        }
    }

    private static string ExpectedSha(string name)
    {
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.SharedPeer, "models.sha256")))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == name)
            {
                return parts[0];
            }
        }

        throw new InvalidOperationException($"{name} is not listed in models.sha256");
    }

    private static string Sha(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
