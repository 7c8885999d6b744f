namespace CyLlm.Engine;

/// <summary>
/// The CPU form of a GPU out-of-memory check, done before allocating: the mapped weights plus the KV cache
/// must fit the memory this process may use, or the load fails with what was needed, what is available and
/// what to change — never an OutOfMemoryException from deep inside.
/// </summary>
public static class MemoryBudget
{
    /// <summary>Bytes this process can use: the container/GC limit, else physical memory.</summary>
    public static long Available()
    {
        long gc = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return gc > 0 ? gc : long.MaxValue;
    }

    /// <summary>Throws <see cref="InsufficientMemoryException"/> when weights + KV exceed <paramref name="available"/>.</summary>
    public static void Check(long weightBytes, long kvBytes, int contextTokens, long available)
    {
        long needed = weightBytes + kvBytes;
        if (needed <= available)
        {
            return;
        }

        static string Mb(long b) => $"{b / (1 << 20):N0} MiB";
        var tips = new List<string>();
        if (kvBytes > available / 4)
        {
            tips.Add($"a smaller context (--context; {contextTokens} tokens need {Mb(kvBytes)} of KV cache)");
            tips.Add("fewer concurrent sequences or a quantized (F16) KV cache");
        }

        tips.Add("a smaller quantization of the model (e.g. Q8_0 or Q4_0 instead of F16/F32)");
        throw new InsufficientMemoryException(
            $"not enough memory: the model needs {Mb(needed)} ({Mb(weightBytes)} of weights + {Mb(kvBytes)} of KV cache) " +
            $"but {Mb(available)} is available; try {string.Join(", or ", tips)}");
    }
}
