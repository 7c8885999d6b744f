namespace CyLlm.Models;

/// <summary>
/// What a user asks of a model before using it (Ollama's <c>show</c>, vLLM's model card): its architecture, its
/// quantization as the file names it (llama.cpp's ftype label, e.g. "Q4_K_M"; else the type holding most weight bytes)
/// and its parameter count.
/// </summary>
public sealed record ModelSummary(string Architecture, string Quantization, long Parameters)
{
    /// <summary>llama.cpp's <c>llama_ftype</c> values (include/llama.h) as the labels quantized files are named by.</summary>
    private static readonly Dictionary<long, string> FileTypes = new()
    {
        [0] = "F32",
        [1] = "F16",
        [2] = "Q4_0",
        [3] = "Q4_1",
        [7] = "Q8_0",
        [8] = "Q5_0",
        [9] = "Q5_1",
        [10] = "Q2_K",
        [11] = "Q3_K_S",
        [12] = "Q3_K_M",
        [13] = "Q3_K_L",
        [14] = "Q4_K_S",
        [15] = "Q4_K_M",
        [16] = "Q5_K_S",
        [17] = "Q5_K_M",
        [18] = "Q6_K",
        [19] = "IQ2_XXS",
        [20] = "IQ2_XS",
        [21] = "Q2_K_S",
        [22] = "IQ3_XS",
        [23] = "IQ3_XXS",
        [24] = "IQ1_S",
        [25] = "IQ4_NL",
        [26] = "IQ3_S",
        [27] = "IQ3_M",
        [28] = "IQ2_S",
        [29] = "IQ2_M",
        [30] = "IQ4_XS",
        [31] = "IQ1_M",
        [32] = "BF16",
        [36] = "TQ1_0",
        [37] = "TQ2_0",
        [38] = "MXFP4_MOE",
    };

    public static ModelSummary Of(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long parameters = 0;
        var bytesByType = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in model.Tensors.Values)
        {
            parameters += t.ElementCount;
            if (t.Rows > 1)
            {
                // Matrices only: norms and biases stay F32 in every quantized file and say nothing about it.
                string type = t.Type.ToString();
                bytesByType[type] = bytesByType.GetValueOrDefault(type) + (long)CyLlm.Tensors.GgmlTypeInfo.RowBytes(t.Type, (int)t.Columns) * t.Rows;
            }
        }

        string quantization = FileTypeLabel(model) ?? (bytesByType.Count == 0 ? "unknown" : bytesByType.MaxBy(kv => kv.Value).Key.ToUpperInvariant());
        return new ModelSummary(model.Config.Architecture.ToString().ToLowerInvariant(), quantization, parameters);
    }

    private static string? FileTypeLabel(LoadedModel model)
    {
        if (!model.Metadata.TryGetValue("general.file_type", out var v))
        {
            return null;
        }

        long ftype;
        try
        {
            ftype = Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            return null; // a malformed key is not worth refusing the model for; the tensor types still say it
        }

        return FileTypes.GetValueOrDefault(ftype);
    }
}
