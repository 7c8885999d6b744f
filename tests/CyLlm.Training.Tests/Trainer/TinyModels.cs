using CyLlm.Models;
using CyLlm.Tensors.Threading;
using CyLlm.Training.Data;
using CyLlm.Training.Model;

namespace CyLlm.Training.Tests.Trainer;

/// <summary>Tiny configurations and example builders shared by the trainer tests.</summary>
internal static class TinyModels
{
    public static readonly WorkerPool Pool = new(2);

    public static ModelConfig Config(bool tied = false, bool bias = false, RopeLayout layout = RopeLayout.Interleaved, int layers = 2) => new()
    {
        Architecture = ModelArchitecture.Llama,
        Dim = 8,
        HiddenDim = 12,
        Layers = layers,
        Heads = 4,
        KvHeads = 2,
        HeadDim = 2,
        VocabSize = 13,
        ContextLength = 32,
        RopeDimensions = 2,
        RopeLayout = layout,
        AttentionBias = bias,
        TiedEmbeddings = tied,
    };

    public static LlamaTrainingModel Model(long seed = 3, bool tied = false, bool bias = false, RopeLayout layout = RopeLayout.Interleaved)
    {
        var m = LlamaTrainingModel.FromScratch(Config(tied, bias, layout), seed, Pool);
        // Larger weights than the default init so every path carries visible gradient.
        var rng = new TrainingRng(99);
        foreach (var p in m.AllParameters())
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] += rng.NextGaussian() * 0.3f;
            }

            p.MarkChanged();
        }

        return m;
    }

    public static TrainingExample Example(int[] tokens, int maskFrom = 0)
    {
        var mask = new bool[tokens.Length];
        for (int i = maskFrom; i < tokens.Length; i++)
        {
            mask[i] = true;
        }

        return new TrainingExample(tokens, mask, 1);
    }
}
