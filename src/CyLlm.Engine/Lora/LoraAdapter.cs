using System.Text.Json;
using CyLlm.Models;
using CyLlm.Models.Safetensors;
using CyLlm.Tensors.Quant;

namespace CyLlm.Engine.Lora;

/// <summary>
/// A LoRA adapter: per (layer, target) low-rank weights and the scale alpha/rank. Loads PEFT folders
/// (adapter_config.json + adapter_model.safetensors) and llama.cpp GGUF LoRA files; the base model is never
/// touched, so adapters load and unload while it serves.
/// </summary>
public sealed class LoraAdapter
{
    private readonly LoraWeights?[,] _weights; // [layer, target]

    public LoraAdapter(string name, int layers, float scale)
    {
        Name = name;
        Scale = scale;
        _weights = new LoraWeights?[layers, Enum.GetValues<LoraTarget>().Length];
    }

    public string Name { get; }

    /// <summary>alpha / rank.</summary>
    public float Scale { get; }

    public LoraWeights? Get(int layer, LoraTarget target) => _weights[layer, (int)target];

    public void Set(int layer, LoraTarget target, LoraWeights w) => _weights[layer, (int)target] = w;

    /// <summary>The output head's update (<see cref="LoraTarget.Output"/>), or null when the adapter leaves it alone.</summary>
    public LoraWeights? Output { get; set; }

    public int Count
    {
        get
        {
            int n = Output is null ? 0 : 1;
            foreach (var w in _weights)
            {
                n += w is null ? 0 : 1;
            }

            return n;
        }
    }

    private static readonly Dictionary<string, LoraTarget> PeftNames = new(StringComparer.Ordinal)
    {
        ["self_attn.q_proj"] = LoraTarget.Q,
        ["self_attn.k_proj"] = LoraTarget.K,
        ["self_attn.v_proj"] = LoraTarget.V,
        ["self_attn.o_proj"] = LoraTarget.O,
        ["mlp.gate_proj"] = LoraTarget.Gate,
        ["mlp.up_proj"] = LoraTarget.Up,
        ["mlp.down_proj"] = LoraTarget.Down,
    };

    private static readonly Dictionary<string, LoraTarget> GgufNames = new(StringComparer.Ordinal)
    {
        ["attn_q"] = LoraTarget.Q,
        ["attn_k"] = LoraTarget.K,
        ["attn_v"] = LoraTarget.V,
        ["attn_output"] = LoraTarget.O,
        ["ffn_gate"] = LoraTarget.Gate,
        ["ffn_up"] = LoraTarget.Up,
        ["ffn_down"] = LoraTarget.Down,
    };

    /// <summary>Loads a PEFT folder or a GGUF LoRA file for a model with <paramref name="config"/>.</summary>
    public static LoraAdapter Load(string name, string path, ModelConfig config)
    {
        return Directory.Exists(path) ? LoadPeft(name, path, config) : LoadGguf(name, path, config);
    }

    private static LoraAdapter LoadPeft(string name, string folder, ModelConfig config)
    {
        string cfgPath = Path.Combine(folder, "adapter_config.json");
        string weightsPath = Path.Combine(folder, "adapter_model.safetensors");
        if (!File.Exists(cfgPath) || !File.Exists(weightsPath))
        {
            throw new ModelFormatException($"{folder}: a PEFT adapter needs adapter_config.json and adapter_model.safetensors");
        }

        int r;
        float alpha;
        using (var doc = JsonDocument.Parse(File.ReadAllText(cfgPath)))
        {
            var root = doc.RootElement;
            r = root.TryGetProperty("r", out var rv) ? rv.GetInt32() : throw new ModelFormatException("adapter_config.json has no 'r'");
            alpha = root.TryGetProperty("lora_alpha", out var av) ? av.GetSingle() : r;
            if (r <= 0 || r > 4096)
            {
                throw new ModelFormatException($"adapter_config.json: rank {r} is out of range");
            }
        }

        var adapter = new LoraAdapter(name, config.Layers, alpha / r);
        using var map = MappedFile.Open(weightsPath);
        var tensors = SafetensorsFile.Read(map).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (tname, a) in tensors)
        {
            // base_model.model.model.layers.{i}.{module}.lora_A.weight
            const string marker = ".lora_A.weight";
            if (!tname.EndsWith(marker, StringComparison.Ordinal))
            {
                continue;
            }

            string stem = tname[..^marker.Length];
            if (stem.EndsWith("lm_head", StringComparison.Ordinal))
            {
                adapter.Output = tensors.TryGetValue(stem + ".lora_B.weight", out var hb)
                    ? Weights(a, hb, config, 0, LoraTarget.Output, name)
                    : throw new ModelFormatException($"{name}: {stem} has lora_A but no lora_B");
                continue;
            }

            int li = stem.IndexOf("layers.", StringComparison.Ordinal);
            if (li < 0)
            {
                continue;
            }

            var rest = stem[(li + 7)..];
            int dot = rest.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || !int.TryParse(rest[..dot], out int layer) || !PeftNames.TryGetValue(rest[(dot + 1)..], out var target))
            {
                continue;
            }

            if (!tensors.TryGetValue(stem + ".lora_B.weight", out var b))
            {
                throw new ModelFormatException($"{name}: {stem} has lora_A but no lora_B");
            }

            adapter.Set(layer, target, Weights(a, b, config, layer, target, name));
        }

        if (adapter.Count == 0)
        {
            throw new ModelFormatException($"{name}: no LoRA weights for known projections were found");
        }

        return adapter;
    }

    private static LoraAdapter LoadGguf(string name, string path, ModelConfig config)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"adapter not found: {path}", path);
        }

        using var file = Models.Gguf.GgufRawFile.Open(path);
        float alpha = file.Metadata.TryGetValue("adapter.lora.alpha", out var av) ? Convert.ToSingle(av, System.Globalization.CultureInfo.InvariantCulture) : 0;
        LoraAdapter? adapter = null;
        foreach (var (tname, a) in file.Tensors)
        {
            if (tname == "output.weight.lora_a")
            {
                var hb = file.Tensors.TryGetValue("output.weight.lora_b", out var ht) ? ht : throw new ModelFormatException($"{name}: {tname} has no lora_b");
                adapter ??= new LoraAdapter(name, config.Layers, alpha > 0 ? alpha / (int)a.Rows : 1f);
                adapter.Output = Weights(a, hb, config, 0, LoraTarget.Output, name);
                continue;
            }

            // blk.{i}.{target}.weight.lora_a
            if (!tname.EndsWith(".weight.lora_a", StringComparison.Ordinal) || !tname.StartsWith("blk.", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = tname.Split('.');
            if (!int.TryParse(parts[1], out int layer) || !GgufNames.TryGetValue(parts[2], out var target))
            {
                continue;
            }

            var b = file.Tensors.TryGetValue(tname[..^1] + "b", out var bt) ? bt : throw new ModelFormatException($"{name}: {tname} has no lora_b");
            int rank = (int)a.Rows;
            adapter ??= new LoraAdapter(name, config.Layers, alpha > 0 ? alpha / rank : 1f);
            adapter.Set(layer, target, Weights(a, b, config, layer, target, name));
        }

        return adapter ?? throw new ModelFormatException($"{name}: no LoRA tensors (blk.N.*.weight.lora_a, output.weight.lora_a) in {Path.GetFileName(path)}");
    }

    /// <summary>A: ggml [in, rank] (row-major [rank, in]); B: ggml [rank, out] (row-major [out, rank]).</summary>
    private static unsafe LoraWeights Weights(WeightTensor a, WeightTensor b, ModelConfig c, int layer, LoraTarget target, string name)
    {
        if (layer < 0 || layer >= c.Layers)
        {
            throw new ModelFormatException($"{name}: layer {layer} does not exist in the base model");
        }

        if (c.IsMoe && target is LoraTarget.Gate or LoraTarget.Up or LoraTarget.Down)
        {
            // A mixture-of-experts block has no single gate/up/down projection for the adapter to add to.
            throw new ModelFormatException($"{name}: layer {layer} {target} LoRA targets a dense FFN projection, but the base model's FFN is a mixture of {c.ExpertCount} experts");
        }

        int inDim = target switch { LoraTarget.O => c.Heads * c.HeadDim, LoraTarget.Down => c.HiddenDim, _ => c.Dim };
        int outDim = target switch
        {
            LoraTarget.Output => c.VocabSize,
            LoraTarget.Q => c.Heads * c.HeadDim,
            LoraTarget.K or LoraTarget.V => c.KvHeads * c.HeadDim,
            LoraTarget.Gate or LoraTarget.Up => c.HiddenDim,
            _ => c.Dim,
        };
        int rank = (int)a.Rows;
        if (a.Columns != inDim || b.Rows != outDim || b.Columns != rank)
        {
            throw new ModelFormatException($"{name}: layer {layer} {target} LoRA shapes A[{a.Rows}x{a.Columns}] B[{b.Rows}x{b.Columns}] do not fit the base projection [{outDim}x{inDim}]");
        }

        var fa = new float[a.ElementCount];
        var fb = new float[b.ElementCount];
        fixed (float* pa = fa, pb = fb)
        {
            Dequantize.Row(a.Type, (byte*)a.Data, pa, fa.Length);
            Dequantize.Row(b.Type, (byte*)b.Data, pb, fb.Length);
        }

        return new LoraWeights(fa, fb, rank, inDim, outDim);
    }
}
