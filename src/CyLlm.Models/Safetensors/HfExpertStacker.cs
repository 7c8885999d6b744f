namespace CyLlm.Models.Safetensors;

/// <summary>
/// Joins the per-expert matrices of a Hugging Face MoE checkpoint into the 3-D tensors the engine reads
/// (blk.{i}.ffn_gate_exps.weight: ggml [dim, ff, experts], expert e's rows at e · (one expert's bytes)). When a layer's
/// experts already lie back to back in one shard, in index order, the stacked tensor is a view of the file (no copy);
/// otherwise (safetensors writers sort names, so expert 10 follows expert 1) they are copied once into a
/// <see cref="NativeBuffer"/> owned by the model, which costs their size in memory.
/// </summary>
internal static unsafe class HfExpertStacker
{
    /// <summary>One expert's matrix and the shard it was mapped from.</summary>
    internal readonly record struct Part(WeightTensor Tensor, MappedFile Map, string HfName);

    /// <summary>Adds a stacked tensor per entry of <paramref name="experts"/> to <paramref name="tensors"/>; returns the
    /// buffers of copied ones (the caller owns them).</summary>
    public static List<NativeBuffer> Stack(Dictionary<string, SortedDictionary<int, Part>> experts, Dictionary<string, WeightTensor> tensors)
    {
        var owned = new List<NativeBuffer>();
        try
        {
            foreach (var (name, parts) in experts)
            {
                tensors[name] = StackOne(name, parts, owned);
            }

            return owned;
        }
        catch
        {
            foreach (var b in owned)
            {
                b.Dispose();
            }

            throw;
        }
    }

    private static WeightTensor StackOne(string name, SortedDictionary<int, Part> parts, List<NativeBuffer> owned)
    {
        int count = parts.Count;
        var first = parts.First().Value;
        if (parts.Keys.Last() != count - 1)
        {
            int missing = Enumerable.Range(0, count + 1).First(e => !parts.ContainsKey(e));
            throw new ModelFormatException($"the experts of {name} are not numbered 0 to {count - 1}: expert {missing} is missing (next to '{first.HfName}')");
        }

        var t0 = first.Tensor;
        if (t0.Shape.Length != 2)
        {
            throw new ModelFormatException($"expert matrix '{first.HfName}' has {t0.Shape.Length} dimensions; 2 are needed");
        }

        bool contiguous = true;
        foreach (var (e, p) in parts)
        {
            var t = p.Tensor;
            if (t.Type != t0.Type || !t.Shape.AsSpan().SequenceEqual(t0.Shape) || t.ByteLength != t0.ByteLength)
            {
                throw new ModelFormatException(
                    $"expert matrix '{p.HfName}' is {t.Type} [{string.Join(", ", t.Shape.Reverse())}] but '{first.HfName}' is {t0.Type} [{string.Join(", ", t0.Shape.Reverse())}]; every expert of a layer must match");
            }

            contiguous &= ReferenceEquals(p.Map, first.Map) && t.Data == t0.Data + (nint)(e * t0.ByteLength);
        }

        long bytes = t0.ByteLength * count;
        nint data;
        if (contiguous)
        {
            data = t0.Data;
        }
        else
        {
            var buffer = new NativeBuffer(bytes);
            owned.Add(buffer);
            foreach (var (e, p) in parts)
            {
                Buffer.MemoryCopy((void*)p.Tensor.Data, buffer.Pointer + (e * t0.ByteLength), t0.ByteLength, t0.ByteLength);
            }

            data = (nint)buffer.Pointer;
        }

        return new WeightTensor { Name = name, Type = t0.Type, Shape = [t0.Shape[0], t0.Shape[1], count], Data = data, ByteLength = bytes };
    }
}
