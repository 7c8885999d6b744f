using System.Text;
using System.Text.Json;
using CyLlm.Models;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;

namespace CyLlm.Training.Export;

/// <summary>
/// Writes the LoRA modules of a <see cref="LlamaTrainingModel"/> as a PEFT folder (adapter_config.json +
/// adapter_model.safetensors, tensors base_model.model.model.layers.N.{module}.lora_A/B.weight, A [r, in], B [out, r])
/// or as a llama.cpp GGUF LoRA (general.type=adapter, adapter.type=lora, adapter.lora.alpha; tensors
/// blk.N.{target}.weight.lora_a with ggml shape [in, r] and .lora_b [r, out]; the output head, when adapted, as
/// lm_head / output.weight.lora_a|b). Q/K rows keep the base model's
/// layout (the GGUF "llama" permutation for GGUF bases), which is what CyLlm's loader applies them to.
/// </summary>
public static class AdapterExporter
{
    public static IEnumerable<LoraModule> Modules(LlamaTrainingModel model, out LoraSettings settings)
    {
        settings = model.LoraSettings ?? throw new InvalidOperationException("the model has no LoRA adapters to export");
        var list = new List<LoraModule>();
        for (int i = 0; i < model.Layers.Length; i++)
        {
            foreach (var lin in model.Layers[i].Linears)
            {
                if (lin.Lora is { } l)
                {
                    list.Add(l);
                }
            }
        }

        if (model.Head.Lora is { } hl)
        {
            list.Add(hl);
        }

        return list;
    }

    public static void WritePeft(LlamaTrainingModel model, string folder, string? baseModel = null)
    {
        Modules(model, out var s);
        Directory.CreateDirectory(folder);
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        for (int i = 0; i < model.Layers.Length; i++)
        {
            foreach (var lin in model.Layers[i].Linears)
            {
                if (lin.Lora is not { } l)
                {
                    continue;
                }

                string stem = $"base_model.model.model.layers.{i}.{LlamaTrainingModel.PeftTargetName(l.Target)}";
                tensors.Add((stem + ".lora_A.weight", [l.Rank, lin.In], l.A.Data));
                tensors.Add((stem + ".lora_B.weight", [lin.Out, l.Rank], l.B.Data));
            }
        }

        if (model.Head.Lora is { } hl)
        {
            tensors.Add(("base_model.model.lm_head.lora_A.weight", [hl.Rank, model.Head.In], hl.A.Data));
            tensors.Add(("base_model.model.lm_head.lora_B.weight", [model.Head.Out, hl.Rank], hl.B.Data));
        }

        File.WriteAllBytes(Path.Combine(folder, "adapter_model.safetensors"), SafetensorsWriter.Build(tensors));
        var cfg = new Dictionary<string, object?>
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = s.Rank,
            ["lora_alpha"] = s.Alpha,
            ["lora_dropout"] = s.Dropout,
            ["bias"] = "none",
            ["target_modules"] = s.Targets.Select(t => LlamaTrainingModel.PeftTargetName(t).Split('.')[^1]).ToArray(),
            ["base_model_name_or_path"] = baseModel,
            ["inference_mode"] = true,
        };
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), JsonSerializer.Serialize(cfg, new JsonSerializerOptions { WriteIndented = true }), Encoding.UTF8);
    }

    public static void WriteGguf(LlamaTrainingModel model, string path, string? name = null)
    {
        Modules(model, out var s);
        var w = new GgufWriter()
            .Meta("general.architecture", model.Config.Architecture == ModelArchitecture.Qwen2 ? "qwen2" : "llama")
            .Meta("general.type", "adapter")
            .Meta("general.name", name ?? "cyllm-lora")
            .Meta("adapter.type", "lora")
            .Meta("adapter.lora.alpha", s.Alpha);
        for (int i = 0; i < model.Layers.Length; i++)
        {
            foreach (var lin in model.Layers[i].Linears)
            {
                if (lin.Lora is not { } l)
                {
                    continue;
                }

                string stem = $"blk.{i}.{LlamaTrainingModel.GgufTargetName(l.Target)}.weight";
                w.Tensor(stem + ".lora_a", l.A.Data, [lin.In, l.Rank]);
                w.Tensor(stem + ".lora_b", l.B.Data, [l.Rank, lin.Out]);
            }
        }

        if (model.Head.Lora is { } hl)
        {
            // llama.cpp's name for a LoRA on the output head (convert_lora_to_gguf maps lm_head to it).
            w.Tensor("output.weight.lora_a", hl.A.Data, [model.Head.In, hl.Rank]);
            w.Tensor("output.weight.lora_b", hl.B.Data, [hl.Rank, model.Head.Out]);
        }

        File.WriteAllBytes(path, w.Build());
    }
}
