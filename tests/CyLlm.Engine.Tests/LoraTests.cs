using System.Text;
using System.Text.Json;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>LoRA adapters on stories260K: PEFT and GGUF files, per-row adapters inside one batch.</summary>
public sealed class LoraTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-lora-").FullName;
    private readonly InferenceEngine _engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });

    public void Dispose()
    {
        _engine.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Random rank-4 factors on q_proj and down_proj of every layer, big enough to change outputs.</summary>
    private string WritePeft(string name, int seed)
    {
        var c = _engine.Config;
        var rng = new Random(seed);
        const int r = 4;
        float[] Rand(int n, double s) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * s)).ToArray();
        var tensors = new List<(string, long[], float[])>();
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"base_model.model.model.layers.{l}.";
            tensors.Add((p + "self_attn.q_proj.lora_A.weight", [r, c.Dim], Rand(r * c.Dim, 0.5)));
            tensors.Add((p + "self_attn.q_proj.lora_B.weight", [c.Dim, r], Rand(c.Dim * r, 0.5)));
            tensors.Add((p + "mlp.down_proj.lora_A.weight", [r, c.HiddenDim], Rand(r * c.HiddenDim, 0.5)));
            tensors.Add((p + "mlp.down_proj.lora_B.weight", [c.Dim, r], Rand(c.Dim * r, 0.5)));
        }

        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), JsonSerializer.Serialize(new { r, lora_alpha = 8, target_modules = new[] { "q_proj", "down_proj" } }));
        HfCheckpointWriter.WriteSafetensors(Path.Combine(folder, "adapter_model.safetensors"), tensors, "F32");
        return folder;
    }

    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    [Fact]
    public async Task Adapter_changes_outputs_and_is_independent_of_its_batch_neighbours()
    {
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        serving.LoadAdapter("a", WritePeft("a", 1));
        serving.LoadAdapter("b", WritePeft("b", 2));
        var prompt = _engine.Encode("Once upon a time");
        var baseAlone = (await serving.GenerateAsync(new ServingRequest(prompt, Greedy(30)))).TokenIds;
        var aAlone = (await serving.GenerateAsync(new ServingRequest(prompt, Greedy(30)) { Adapter = "a" })).TokenIds;
        Assert.NotEqual(baseAlone, aAlone);

        // The same request with neighbours using b, none, and a again — all in flight together.
        var tasks = new[]
        {
            serving.GenerateAsync(new ServingRequest(prompt, Greedy(30)) { Adapter = "a" }),
            serving.GenerateAsync(new ServingRequest(prompt, Greedy(30)) { Adapter = "b" }),
            serving.GenerateAsync(new ServingRequest(prompt, Greedy(30))),
            serving.GenerateAsync(new ServingRequest(_engine.Encode("The little dog"), Greedy(30)) { Adapter = "a" }),
        };
        var results = await Task.WhenAll(tasks);
        Assert.Equal(aAlone, results[0].TokenIds);
        Assert.Equal(baseAlone, results[2].TokenIds);
        Assert.NotEqual(aAlone, results[1].TokenIds);
    }

    [Fact]
    public async Task Unloading_waits_for_requests_in_flight_and_then_refuses_the_adapter()
    {
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        serving.LoadAdapter("a", WritePeft("a", 1));
        var h = serving.Submit(new ServingRequest(_engine.Encode("Once upon a time"), Greedy(150)) { Adapter = "a" });
        await h.Tokens.ReadAsync();
        var unload = serving.UnloadAdapterAsync("a");
        Assert.False(unload.IsCompleted);
        Assert.Throws<AdapterNotFoundException>(() => serving.Submit(new ServingRequest(_engine.Encode("x"), Greedy(1)) { Adapter = "a" }));
        var r = await h.Completion;
        Assert.Equal(150, r.TokenIds.Length);
        await unload;
        Assert.Empty(serving.AdapterNames);
    }

    [Fact]
    public async Task Gguf_lora_gives_the_same_outputs_as_the_same_peft_adapter()
    {
        string peft = WritePeft("p", 3);
        string gguf = Path.Combine(_dir, "p.gguf");
        WriteGgufFromPeft(Path.Combine(peft, "adapter_model.safetensors"), gguf, alpha: 8);
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        serving.LoadAdapter("peft", peft);
        serving.LoadAdapter("gguf", gguf);
        var prompt = _engine.Encode("Lily and Tom");
        var a = await serving.GenerateAsync(new ServingRequest(prompt, Greedy(25)) { Adapter = "peft" });
        var b = await serving.GenerateAsync(new ServingRequest(prompt, Greedy(25)) { Adapter = "gguf" });
        Assert.Equal(a.TokenIds, b.TokenIds);
    }

    [Fact]
    public void Adapter_that_does_not_fit_the_model_is_rejected_clearly()
    {
        string folder = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), "{\"r\": 2, \"lora_alpha\": 2}");
        HfCheckpointWriter.WriteSafetensors(Path.Combine(folder, "adapter_model.safetensors"),
        [
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 99], new float[198]),
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], new float[128]),
        ], "F32");
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        var e = Assert.Throws<Models.ModelFormatException>(() => serving.LoadAdapter("bad", folder));
        Assert.Contains("do not fit", e.Message);
    }

    /// <summary>Re-encodes a PEFT safetensors file as a llama.cpp GGUF LoRA (blk.N.attn_q.weight.lora_a/b).</summary>
    private static unsafe void WriteGgufFromPeft(string safetensors, string path, float alpha)
    {
        using var map = Models.MappedFile.Open(safetensors);
        var tensors = Models.Safetensors.SafetensorsFile.Read(map).ToList();
        var entries = new List<(string Name, long[] Shape, byte[] Data)>();
        foreach (var t in tensors)
        {
            var parts = t.Name.Split('.');
            int layer = int.Parse(parts[4], System.Globalization.CultureInfo.InvariantCulture);
            string target = parts[6] == "q_proj" ? "attn_q" : "ffn_down";
            string ab = t.Name.Contains("lora_A", StringComparison.Ordinal) ? "lora_a" : "lora_b";
            entries.Add(($"blk.{layer}.{target}.weight.{ab}", t.Shape, new ReadOnlySpan<byte>((void*)t.Data, (int)t.ByteLength).ToArray()));
        }

        using var f = File.Create(path);
        var w = new BinaryWriter(f);
        void Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            w.Write((ulong)b.Length);
            w.Write(b);
        }

        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)entries.Count);
        w.Write(2UL);
        Str("general.type");
        w.Write(8u);
        Str("adapter");
        Str("adapter.lora.alpha");
        w.Write(6u);
        w.Write(alpha);
        ulong offset = 0;
        foreach (var e in entries)
        {
            Str(e.Name);
            w.Write((uint)e.Shape.Length);
            foreach (var d in e.Shape)
            {
                w.Write((ulong)d);
            }

            w.Write(0u);
            w.Write(offset);
            offset += (ulong)((e.Data.Length + 31) / 32 * 32);
        }

        w.Flush();
        while (f.Length % 32 != 0)
        {
            f.WriteByte(0);
        }

        foreach (var e in entries)
        {
            f.Write(e.Data);
            while (f.Length % 32 != 0)
            {
                f.WriteByte(0);
            }
        }
    }
}
