using System.Diagnostics;
using CyLlm.Engine.Lora;
using CyLlm.Models;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;
using CyLlm.Training.Backward;
using CyLlm.Training.Lora;

namespace CyLlm.Training.Model;

/// <summary>
/// A Llama-family decoder in F32 for training on the CPU: embedding → N × (RMSNorm → attention with RoPE and GQA →
/// residual → RMSNorm → SwiGLU MLP → residual) → RMSNorm → output head (tied or not) → masked cross-entropy.
/// Parameters use the engine's canonical names and layouts (matrices [out, in] row-major), so a trained model exports
/// to GGUF without reshuffling. Split: .Forward.cs, .Backward.cs.
/// </summary>
public sealed partial class LlamaTrainingModel
{
    private readonly TrainContext _ctx;
    private readonly RopeOp _rope;
    private readonly AttentionOp _attention;

    private LlamaTrainingModel(ModelConfig config, WorkerPool pool)
    {
        Debug.Assert(config.Heads % config.KvHeads == 0);
        Config = config;
        _ctx = new TrainContext(pool);
        int d = config.Dim, q = config.Heads * config.HeadDim, k = config.KvHeads * config.HeadDim, h = config.HiddenDim;
        Embedding = new Parameter("token_embd.weight", config.VocabSize, d, true, decay: true);
        OutputNorm = new Parameter("output_norm.weight", 1, d, true, decay: false);
        Output = config.TiedEmbeddings ? null : new Parameter("output.weight", config.VocabSize, d, true, decay: true);
        Head = new LinearLayer(Output ?? Embedding, null);
        Layers = new TransformerLayer[config.Layers];
        for (int i = 0; i < config.Layers; i++)
        {
            string p = $"blk.{i}.";
            Layers[i] = new TransformerLayer
            {
                AttnNorm = new Parameter(p + "attn_norm.weight", 1, d, true, false),
                Q = new LinearLayer(new Parameter(p + "attn_q.weight", q, d, true, true), config.AttentionBias ? new Parameter(p + "attn_q.bias", 1, q, true, false) : null),
                K = new LinearLayer(new Parameter(p + "attn_k.weight", k, d, true, true), config.AttentionBias ? new Parameter(p + "attn_k.bias", 1, k, true, false) : null),
                V = new LinearLayer(new Parameter(p + "attn_v.weight", k, d, true, true), config.AttentionBias ? new Parameter(p + "attn_v.bias", 1, k, true, false) : null),
                O = new LinearLayer(new Parameter(p + "attn_output.weight", d, q, true, true), null),
                FfnNorm = new Parameter(p + "ffn_norm.weight", 1, d, true, false),
                Gate = new LinearLayer(new Parameter(p + "ffn_gate.weight", h, d, true, true), null),
                Up = new LinearLayer(new Parameter(p + "ffn_up.weight", h, d, true, true), null),
                Down = new LinearLayer(new Parameter(p + "ffn_down.weight", d, h, true, true), null),
            };
        }

        int ropeDims = config.RopeDimensions > 0 ? config.RopeDimensions : config.HeadDim;
        float[] factors = config.RopeScaling is { } rs
            ? Rope.Llama3FreqFactors(ropeDims, config.RopeTheta, rs.Factor, rs.LowFreqFactor, rs.HighFreqFactor, rs.OriginalContextLength)
            : [];
        _rope = new RopeOp(Rope.InverseFrequencies(ropeDims, config.RopeTheta, factors), config.ContextLength, config.HeadDim, config.RopeLayout);
        _attention = new AttentionOp(config.Heads, config.KvHeads, config.HeadDim);
    }

    public ModelConfig Config { get; }
    public Parameter Embedding { get; }
    public Parameter OutputNorm { get; }

    /// <summary>The output head [vocab, dim], or null when tied to <see cref="Embedding"/>.</summary>
    public Parameter? Output { get; }

    public TransformerLayer[] Layers { get; }

    /// <summary>The output head as a projection: logits[rows, vocab] = finalNorm · (Output ?? Embedding)ᵀ, with its LoRA when targeted.</summary>
    public LinearLayer Head { get; }

    /// <summary>LoRA alpha/rank/dropout when adapters are attached, else null.</summary>
    public LoraSettings? LoraSettings { get; private set; }

    public WorkerPool Pool => _ctx.Pool;

    /// <summary>Every parameter in a fixed order (the order checkpoints and the optimizer use).</summary>
    public IEnumerable<Parameter> AllParameters()
    {
        yield return Embedding;
        foreach (var l in Layers)
        {
            yield return l.AttnNorm;
            foreach (var lin in l.Linears)
            {
                yield return lin.Weight;
                if (lin.Bias is not null)
                {
                    yield return lin.Bias;
                }

                if (lin.Lora is { } lo)
                {
                    yield return lo.A;
                    yield return lo.B;
                }
            }

            yield return l.FfnNorm;
        }

        yield return OutputNorm;
        if (Output is not null)
        {
            yield return Output;
        }

        // Last, so checkpoints of models without a head adapter keep their layout.
        if (Head.Lora is { } hl)
        {
            yield return hl.A;
            yield return hl.B;
        }
    }

    public IReadOnlyList<Parameter> TrainableParameters() => AllParameters().Where(p => p.Trainable).ToList();

    /// <summary>A model with seeded random weights: N(0, 0.02) matrices (residual outputs scaled by 1/√(2·layers)), unit norms.</summary>
    public static LlamaTrainingModel FromScratch(ModelConfig config, long seed, WorkerPool pool)
    {
        var m = new LlamaTrainingModel(config, pool);
        var rng = TrainingRng.Derive(seed, 1);
        float residualStd = 0.02f / MathF.Sqrt(2f * config.Layers);
        foreach (var p in m.AllParameters())
        {
            if (!p.Decay)
            {
                if (p.Name.EndsWith("norm.weight", StringComparison.Ordinal))
                {
                    Array.Fill(p.Data, 1f);
                }

                continue;
            }

            float std = p.Name.EndsWith("attn_output.weight", StringComparison.Ordinal) || p.Name.EndsWith("ffn_down.weight", StringComparison.Ordinal) ? residualStd : 0.02f;
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = rng.NextGaussian() * std;
            }
        }

        return m;
    }

    /// <summary>Copies (and dequantizes to F32) every weight of a loaded Llama-family model.</summary>
    public static unsafe LlamaTrainingModel FromLoaded(LoadedModel model, WorkerPool pool)
    {
        var c = model.Config;
        if (c.Gemma)
        {
            // Gemma's GeGLU, post-norms, soft-caps and sliding windows are not in the training graph: training
            // would silently fit (and export) a Llama-shaped model that the served Gemma is not.
            throw new NotSupportedException($"training {c.Architecture} models is not supported (the trainer has no GeGLU, post-norms, soft-capping or sliding window); serve it with 'cyllm serve' or train a llama/qwen2 model");
        }

        if (c.IsMoe)
        {
            // The training graph has one dense FFN per block: it has no router or experts to copy into.
            throw new NotSupportedException($"training mixture-of-experts models ({c.Architecture}, {c.ExpertCount} experts) is not supported; serve it with 'cyllm serve' or train a dense llama/qwen2 model");
        }

        if (c.FusedQkv || c.FusedGateUp || c.Yarn is not null || c.LongRopeFactors is not null || model.TryGet("rope_factors_long.weight") is not null)
        {
            // The training graph reads separate attn_q/k/v and ffn_gate/ffn_up and rotates with plain or Llama-3 RoPE:
            // Phi-3's fused matrices and LongRoPE / YaRN scaling are not in it.
            throw new NotSupportedException($"training {c.Architecture} models with fused QKV / gate-up matrices or LongRoPE / YaRN scaling is not supported; serve it with 'cyllm serve' or train a llama/qwen2 model");
        }

        if (c.QkNorm)
        {
            // The training graph has no per-head Q/K RMSNorm: it would copy every other weight, drop
            // attn_q_norm/attn_k_norm and train (and export) a different model without saying so.
            throw new NotSupportedException($"training {c.Architecture} models is not supported (the trainer has no per-head Q/K norm); serve it with 'cyllm serve' or train a llama/qwen2 model");
        }

        var m = new LlamaTrainingModel(c, pool);
        foreach (var p in m.AllParameters())
        {
            var t = model.Get(p.Name);
            if (t.ElementCount != p.Length)
            {
                throw new ModelFormatException($"tensor '{p.Name}' has {t.ElementCount} elements, the model config expects {p.Length}");
            }

            long rowBytes = GgmlTypeInfo.RowBytes(t.Type, (int)t.Columns);
            fixed (float* dst = p.Data)
            {
                for (long r = 0; r < t.Rows; r++)
                {
                    Dequantize.Row(t.Type, (byte*)t.Data + (r * rowBytes), dst + (r * t.Columns), (int)t.Columns);
                }
            }

            p.MarkChanged();
        }

        return m;
    }

    /// <summary>Freezes every base weight and attaches fresh LoRA modules to the targeted projections.</summary>
    public void AttachLora(LoraSettings settings, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Rank <= 0 || settings.Targets.Count == 0)
        {
            throw new ArgumentException("LoRA needs a positive rank and at least one target module");
        }

        foreach (var p in AllParameters())
        {
            p.Freeze();
        }

        var rng = TrainingRng.Derive(seed, 2);
        for (int i = 0; i < Layers.Length; i++)
        {
            foreach (var target in settings.Targets.Where(t => t != LoraTarget.Output).Order())
            {
                var lin = Linear(i, target);
                lin.Lora = new LoraModule($"blk.{i}.{GgufTargetName(target)}.weight", target, settings.Rank, lin.In, lin.Out, settings.Alpha, settings.Dropout, ref rng);
            }
        }

        if (settings.Targets.Contains(LoraTarget.Output))
        {
            Head.Lora = new LoraModule("output.weight", LoraTarget.Output, settings.Rank, Head.In, Head.Out, settings.Alpha, settings.Dropout, ref rng);
        }

        LoraSettings = settings;
    }

    public LinearLayer Linear(int layer, LoraTarget target)
    {
        var l = Layers[layer];
        return target switch
        {
            LoraTarget.Q => l.Q,
            LoraTarget.K => l.K,
            LoraTarget.V => l.V,
            LoraTarget.O => l.O,
            LoraTarget.Gate => l.Gate,
            LoraTarget.Up => l.Up,
            _ => l.Down,
        };
    }

    public static string GgufTargetName(LoraTarget t) => t switch
    {
        LoraTarget.Output => "output",
        LoraTarget.Q => "attn_q",
        LoraTarget.K => "attn_k",
        LoraTarget.V => "attn_v",
        LoraTarget.O => "attn_output",
        LoraTarget.Gate => "ffn_gate",
        LoraTarget.Up => "ffn_up",
        _ => "ffn_down",
    };

    public static string PeftTargetName(LoraTarget t) => t switch
    {
        LoraTarget.Output => "lm_head",
        LoraTarget.Q => "self_attn.q_proj",
        LoraTarget.K => "self_attn.k_proj",
        LoraTarget.V => "self_attn.v_proj",
        LoraTarget.O => "self_attn.o_proj",
        LoraTarget.Gate => "mlp.gate_proj",
        LoraTarget.Up => "mlp.up_proj",
        _ => "mlp.down_proj",
    };

    /// <summary>Folds every LoRA update into its base weight (W += Scale·B·A) and drops the modules.</summary>
    public void MergeLora()
    {
        if (Head.Lora is { } hl)
        {
            if (Output is null)
            {
                // The head is the embedding: folding the update in would change every input embedding as well.
                throw new NotSupportedException("an output-head LoRA cannot be merged into a model whose output head is tied to its embeddings; export the adapter instead");
            }

            var delta = new float[Output.Length];
            _ctx.Gemm.Run(hl.B.Data, hl.A.Transposed(), delta, Head.Out, Head.In, hl.Rank, accumulate: false);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(delta, hl.Scale, Output.Data, Output.Data);
            Output.MarkChanged();
            Head.Lora = null;
        }

        foreach (var l in Layers)
        {
            foreach (var lin in l.Linears)
            {
                if (lin.Lora is not { } lo)
                {
                    continue;
                }

                // W[out, in] += Scale · B[out, r] · A[r, in] = Scale · B · (Aᵀ)ᵀ
                var delta = new float[lin.Weight.Length];
                _ctx.Gemm.Run(lo.B.Data, lo.A.Transposed(), delta, lin.Out, lin.In, lo.Rank, accumulate: false);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(delta, lo.Scale, lin.Weight.Data, lin.Weight.Data);
                lin.Weight.MarkChanged();
                lin.Lora = null;
            }
        }

        LoraSettings = null;
    }

    public long ParameterCount(bool trainableOnly) => AllParameters().Where(p => !trainableOnly || p.Trainable).Sum(p => (long)p.Length);
}
