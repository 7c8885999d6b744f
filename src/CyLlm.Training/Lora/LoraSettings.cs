using CyLlm.Engine.Lora;

namespace CyLlm.Training.Lora;

/// <summary>LoRA hyperparameters: rank r, alpha (scale = alpha/r), dropout on the adapter input, target projections.</summary>
public sealed record LoraSettings(int Rank, float Alpha, float Dropout, IReadOnlyList<LoraTarget> Targets)
{
    /// <summary>Every projection of the transformer blocks ("all", PEFT's all-linear): the output head is only adapted when named.</summary>
    public static readonly IReadOnlyList<LoraTarget> AllTargets = [.. Enum.GetValues<LoraTarget>().Where(t => t != LoraTarget.Output)];

    /// <summary>Parses "q,k,v,o,gate,up,down,output" (or "all", optionally with ",output").</summary>
    public static IReadOnlyList<LoraTarget> ParseTargets(string text)
    {
        var list = new List<LoraTarget>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                list.AddRange(AllTargets);
                continue;
            }

            list.Add(part.ToLowerInvariant() switch
            {
                "output" or "lm_head" => LoraTarget.Output,
                "q" or "q_proj" => LoraTarget.Q,
                "k" or "k_proj" => LoraTarget.K,
                "v" or "v_proj" => LoraTarget.V,
                "o" or "o_proj" => LoraTarget.O,
                "gate" or "gate_proj" => LoraTarget.Gate,
                "up" or "up_proj" => LoraTarget.Up,
                "down" or "down_proj" => LoraTarget.Down,
                _ => throw new ArgumentException($"unknown LoRA target '{part}' (use q,k,v,o,gate,up,down,output or all)"),
            });
        }

        return list.Count > 0 ? list.Distinct().ToList() : throw new ArgumentException("no LoRA targets given");
    }
}
