using System.Text.Json;
using System.Text.Json.Serialization;
using CyLlm.Models;

namespace CyLlm.Training;

/// <summary>
/// The JSON file of <c>cyllm train --from-scratch</c>: {"dim", "hidden_dim", "layers", "heads", "kv_heads",
/// "context_length", "vocab_size" (optional: the tokenizer's), "rope_theta", "tied_embeddings"}.
/// </summary>
public sealed record ScratchModelConfig
{
    [JsonPropertyName("dim")] public int Dim { get; init; }
    [JsonPropertyName("hidden_dim")] public int HiddenDim { get; init; }
    [JsonPropertyName("layers")] public int Layers { get; init; }
    [JsonPropertyName("heads")] public int Heads { get; init; }
    [JsonPropertyName("kv_heads")] public int KvHeads { get; init; }
    [JsonPropertyName("context_length")] public int ContextLength { get; init; } = 256;
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("rope_theta")] public float RopeTheta { get; init; } = 10000f;
    [JsonPropertyName("tied_embeddings")] public bool TiedEmbeddings { get; init; } = true;

    public static ScratchModelConfig Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ScratchModelConfig>(File.ReadAllText(path)) ?? throw new ArgumentException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path} is not a valid model config ({e.Message})", e);
        }
    }

    /// <summary>The engine config; <paramref name="tokenizerVocab"/> is used when vocab_size is absent.</summary>
    public ModelConfig ToModelConfig(int tokenizerVocab)
    {
        int vocab = VocabSize > 0 ? VocabSize : tokenizerVocab;
        int kv = KvHeads > 0 ? KvHeads : Heads;
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || vocab <= 0 || ContextLength <= 1)
        {
            throw new ArgumentException("model config needs positive dim, hidden_dim, layers, heads, context_length and a vocabulary");
        }

        if (Dim % Heads != 0 || Heads % kv != 0 || (Dim / Heads) % 2 != 0)
        {
            throw new ArgumentException($"model config: dim {Dim} must split into {Heads} heads of even width, and heads must be a multiple of kv_heads {kv}");
        }

        if (vocab != tokenizerVocab)
        {
            throw new ArgumentException($"model config vocab_size {vocab} differs from the tokenizer's {tokenizerVocab} tokens");
        }

        return new ModelConfig
        {
            Architecture = ModelArchitecture.Llama,
            Dim = Dim,
            HiddenDim = HiddenDim,
            Layers = Layers,
            Heads = Heads,
            KvHeads = kv,
            HeadDim = Dim / Heads,
            VocabSize = vocab,
            ContextLength = ContextLength,
            RopeTheta = RopeTheta,
            RopeDimensions = Dim / Heads,
            TiedEmbeddings = TiedEmbeddings,
            Name = "cyllm-scratch",
        };
    }
}
