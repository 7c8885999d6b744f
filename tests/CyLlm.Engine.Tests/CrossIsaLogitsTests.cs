using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The same tokens whatever the CPU (serving-core issue): the logits of every step of a greedy request — prefill over
/// several 16-key attention tiles, then decode — hash to the bits in <c>TestData/cross-isa.json</c>. CI runs this with
/// AVX-512 and the machine-code kernels on, and again with both off (the AVX2 path); both compare against the one
/// golden, so the forward pass gives the same bits on AVX-512 and AVX2 machines, and so the same greedy tokens. The
/// golden is written only by <c>scripts/golden/cross-isa.sh</c>.
/// </summary>
public sealed class CrossIsaLogitsTests
{
    public static TheoryData<string, string, KvCacheType> Cases()
    {
        var data = new TheoryData<string, string, KvCacheType>();
        foreach (string type in new[] { "f32", "f16", "q8_0", "q4_0" })
        {
            data.Add("tiny", type, KvCacheType.F32);
        }

        data.Add("tiny", "f32", KvCacheType.F16);
        data.Add("tiny", "f32", KvCacheType.Q8_0);
        data.Add("stories260K", "gguf", KvCacheType.F32);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task Logits_bits_equal_the_golden_on_every_isa_level(string model, string type, KvCacheType kv)
    {
        Skip.IfNot(System.Runtime.Intrinsics.X86.Avx2.IsSupported, "the integer kernels' scalar references sum blocks in another order than the AVX2/AVX-512 paths");
        string path = model == "tiny" ? SyntheticModels.Get("tiny", type) : TestPaths.Model("stories260K.gguf");
        using var engine = InferenceEngine.Load(path, null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var rng = new Random(2026);
        var prompt = Enumerable.Range(0, 45).Select(_ => rng.Next(3, engine.Config.VocabSize)).ToArray();
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 16 << 20, KvType = kv, TokenBudget = 64 });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int steps = 0;
        serving.OnLogits = (_, _, logits) =>
        {
            hash.AppendData(MemoryMarshal.AsBytes(logits));
            steps++;
        };
        var result = await serving.GenerateAsync(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true }));
        Assert.Equal(8, steps);
        hash.AppendData(MemoryMarshal.AsBytes(result.TokenIds.AsSpan()));
        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        string key = $"{model}-{type}-kv-{kv.ToString().ToLowerInvariant()}";

        if (Environment.GetEnvironmentVariable("CYLLM_WRITE_GOLDEN") == "1")
        {
            lock (Gate)
            {
                string file = Path.Combine(TestPaths.RepoRoot, "tests", "CyLlm.Engine.Tests", "TestData", "cross-isa.json");
                var all = File.Exists(file) ? JsonSerializer.Deserialize<SortedDictionary<string, string>>(File.ReadAllText(file))! : new SortedDictionary<string, string>(StringComparer.Ordinal);
                all[key] = actual;
                File.WriteAllText(file, JsonSerializer.Serialize(all, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            }

            return;
        }

        var golden = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(TestPaths.TestData("cross-isa.json")))!;
        Assert.True(golden.TryGetValue(key, out string? expected), $"{key} has no golden: run scripts/golden/cross-isa.sh");
        Assert.True(expected == actual, $"{key}: logits hash {actual}, golden {expected} — the forward pass depends on the ISA level (or its arithmetic changed: regenerate with scripts/golden/cross-isa.sh)");
    }

    private static readonly Lock Gate = new();
}
