using System.Text;
using System.Text.Json;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>Writes a PEFT LoRA adapter folder: rank 4 on every layer's q_proj, with seeded random factors.</summary>
public static class PeftWriter
{
    public static string Write(string folder, int layers, int dim, int seed = 5)
    {
        var rng = new Random(seed);
        const int r = 4;
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        for (int l = 0; l < layers; l++)
        {
            tensors.Add(($"base_model.model.model.layers.{l}.self_attn.q_proj.lora_A.weight", [r, dim], Rand(r * dim)));
            tensors.Add(($"base_model.model.model.layers.{l}.self_attn.q_proj.lora_B.weight", [dim, r], Rand(dim * r)));
        }

        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new { dtype = "F32", shape = t.Shape, data_offsets = new[] { offset, offset + (t.Data.Length * 4) } };
            offset += t.Data.Length * 4;
        }

        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), "{\"r\": 4, \"lora_alpha\": 8}");
        using var f = File.Create(Path.Combine(folder, "adapter_model.safetensors"));
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        foreach (var t in tensors)
        {
            foreach (var v in t.Data)
            {
                f.Write(BitConverter.GetBytes(v));
            }
        }

        return folder;
    }
}
