using System.CommandLine;
using System.Text;
using CyLlm.Models;
using CyLlm.Tensors;

namespace CyLlm.Cli.Commands;

/// <summary>`cyllm inspect`: what a model file holds, without loading it for inference.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var cmd = new Command("inspect", "print architecture, shapes, tensor types, tokenizer and chat template") { model, tokenizer };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            using var m = ModelLoader.Load(ModelSource.Resolve(parse.GetValue(model)), parse.GetValue(tokenizer));
            Console.Write(Describe(m));
            return 0;
        }));
        return cmd;
    }

    internal static string Describe(LoadedModel m)
    {
        var c = m.Config;
        var sb = new StringBuilder();
        sb.AppendLine($"format:        {m.Format}");
        sb.AppendLine($"name:          {c.Name ?? "(none)"}");
        sb.AppendLine($"architecture:  {c.Architecture}");
        sb.AppendLine($"dim:           {c.Dim}");
        sb.AppendLine($"hidden_dim:    {c.HiddenDim}");
        sb.AppendLine($"layers:        {c.Layers}");
        sb.AppendLine($"heads:         {c.Heads} (kv {c.KvHeads}, head_dim {c.HeadDim})");
        sb.AppendLine($"vocab:         {c.VocabSize}");
        sb.AppendLine($"context:       {c.ContextLength}");
        sb.AppendLine($"rope:          theta {c.RopeTheta}, {c.RopeLayout}, dims {(c.RopeDimensions > 0 ? c.RopeDimensions : c.HeadDim)}{(c.RopeScaling is { } s ? $", llama3 scaling x{s.Factor}" : "")}{(c.Yarn is { } y ? $", YaRN x{y.Factor} from {y.OriginalContextLength}" : "")}{(m.TryGet("rope_factors_long.weight") is not null || c.LongRopeFactors is not null ? $", LongRoPE from {c.RopeOriginalContext}" : "")}{(c.RopeAttentionFactor > 0 ? $", attn factor {c.RopeAttentionFactor}" : "")}");
        sb.AppendLine($"rms_eps:       {c.RmsNormEps}");
        sb.AppendLine($"tied output:   {c.TiedEmbeddings}");
        sb.AppendLine($"qkv bias:      {c.AttentionBias}");
        sb.AppendLine($"qk head norm:  {c.QkNorm}");
        if (c.FusedQkv || c.FusedGateUp)
        {
            sb.AppendLine($"fused:         {(c.FusedQkv ? "qkv " : "")}{(c.FusedGateUp ? "gate-up" : "")}".TrimEnd());
        }

        if (c.SlidingWindow > 0 && !c.Gemma)
        {
            sb.AppendLine($"window:        {c.SlidingWindow} tokens on {Enumerable.Range(0, c.Layers).Count(c.IsLocalLayer)} of {c.Layers} layers");
        }

        if (c.Gemma)
        {
            string local = c.SlidingWindow > 0 ? $"{c.SlidingWindow} tokens on {Enumerable.Range(0, c.Layers).Count(c.IsLocalLayer)} of {c.Layers} layers" : "none";
            sb.AppendLine($"window:        {local}");
            sb.AppendLine($"soft-caps:     attention {c.AttentionSoftcap}, final {c.FinalLogitSoftcap}");
        }

        if (c.IsMoe)
        {
            sb.AppendLine($"experts:       {c.ExpertCount} ({c.ExpertUsedCount} per token, ffn {c.HiddenDim} each)");
            if (c.SharedExpertHiddenDim > 0)
            {
                sb.AppendLine($"shared expert: ffn {c.SharedExpertHiddenDim}, sigmoid-gated");
            }

            if (c.ExpertGating != ExpertGating.Softmax || c.ExpertBiases || c.SwiGluLimit > 0)
            {
                // gpt-oss: how its router and experts differ from the Mixtral-style default.
                string gating = c.ExpertGating == ExpertGating.SoftmaxOverSelected ? "softmax over the selected logits" : "softmax";
                string act = c.SwiGluLimit > 0 ? $"clamped SwiGLU (alpha {c.SwiGluAlpha}, limit {c.SwiGluLimit})" : "SwiGLU";
                sb.AppendLine($"routing:       {gating}{(c.ExpertBiases ? ", router and expert biases" : "")}, {act}");
            }
        }

        if (c.AttentionSinks || c.AttentionOutputBias)
        {
            sb.AppendLine($"attention:     {string.Join(", ", new[] { c.AttentionSinks ? "per-head sinks" : null, c.AttentionOutputBias ? "output bias" : null }.OfType<string>())}");
        }

        sb.AppendLine($"file bytes:    {m.FileBytes:N0}");
        var byType = m.Tensors.Values.GroupBy(t => t.Type).OrderBy(g => g.Key);
        sb.AppendLine($"tensor types:  {string.Join(", ", byType.Select(g => $"{g.Key} x{g.Count()}"))}");
        long parameters = m.Tensors.Values.Sum(t => t.ElementCount);
        sb.AppendLine($"parameters:    {parameters:N0}");
        var tok = m.Tokenizer;
        if (tok is null)
        {
            sb.AppendLine("tokenizer:     (none; pass --tokenizer)");
        }
        else
        {
            sb.AppendLine($"tokenizer:     {tok.Kind}, {tok.Tokens.Count} tokens, bos {tok.BosId}, eos {tok.EosId}, pre {tok.PreTokenizer ?? "(default)"}, add_bos {tok.AddBos}");
        }

        sb.AppendLine($"chat template: {(tok?.ChatTemplate is { } ct ? $"{ct.Length} chars" : "(none: the built-in fallback is used)")}");
        if (tok?.ChatTemplate is { } template)
        {
            sb.AppendLine(template);
        }

        sb.AppendLine("tensors:");
        foreach (var t in m.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            sb.AppendLine($"  {t.Name,-32} {t.Type,-5} [{string.Join(", ", t.Shape)}]");
        }

        return sb.ToString();
    }
}
