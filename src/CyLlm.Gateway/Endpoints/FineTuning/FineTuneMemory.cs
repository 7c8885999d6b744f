using System.Globalization;
using CyLlm.Gateway.Errors;
using CyLlm.Models;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>
/// The admission check of a full fine-tune. The trainer keeps an F32 copy of every base weight plus its gradient and
/// AdamW's two moments, so a job needs about <see cref="BytesPerParameter"/> bytes per parameter, whatever the base
/// model's quantization; nothing else bounds it, so an operator switch enables full fine-tuning at all and each job is
/// refused up front, with what it needs and what exists, when the estimate does not fit.
/// </summary>
public static class FineTuneMemory
{
    /// <summary>F32 weight + F32 gradient + two F32 optimizer moments.</summary>
    public const long BytesPerParameter = 16;

    /// <summary>Throws a 400 when full fine-tuning is off, or when <paramref name="modelPath"/>'s estimate exceeds the
    /// available memory. A host without a model file (a test double) has nothing to estimate.</summary>
    public static void CheckFull(GatewayOptions options, string? modelPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.AllowFullFineTuning)
        {
            throw ApiError.BadRequest(
                "Full fine-tuning is disabled on this server: it copies every base weight in F32 with gradients and optimizer state. Fix: use training_method 'lora', or ask the operator to set Gateway:AllowFullFineTuning=true",
                "training_method");
        }

        if (modelPath is null)
        {
            return;
        }

        long needed = EstimateBytes(modelPath);
        long available = (options.AvailableMemory ?? Available)();
        if (needed > available)
        {
            throw new ApiError(400, ErrorCodes.InsufficientMemory,
                $"A full fine-tune of this model needs about {Mib(needed)} ({BytesPerParameter} bytes per parameter: F32 weights, gradients and two optimizer moments) but {Mib(available)} is available. Fix: use training_method 'lora', a smaller base model, or a server with more memory",
                "training_method");
        }
    }

    /// <summary>Bytes a full fine-tune of the model at <paramref name="modelPath"/> needs: its parameters times
    /// <see cref="BytesPerParameter"/>. Loading maps the file without reading the weights.</summary>
    public static long EstimateBytes(string modelPath)
    {
        using var loaded = ModelLoader.Load(modelPath);
        long parameters = 0;
        foreach (var t in loaded.Tensors.Values)
        {
            parameters += t.ElementCount;
        }

        return parameters * BytesPerParameter;
    }

    /// <summary>Memory this process may still take: its limit (container or physical memory) less its working set,
    /// and on Linux no more than the kernel's MemAvailable.</summary>
    public static long Available()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long free = limit > 0 ? limit - Environment.WorkingSet : long.MaxValue;
        if (OperatingSystem.IsLinux() && MemAvailable() is { } kernel)
        {
            free = Math.Min(free, kernel);
        }

        return Math.Max(0, free);
    }

    private static long? MemAvailable()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (a sandbox): the process limit alone decides.
        }

        return null;
    }

    private static string Mib(long bytes) => $"{bytes / (1 << 20):N0} MiB";
}
