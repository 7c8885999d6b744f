using CyLlm.Engine.Lora;

namespace CyLlm.Engine.Scheduling;

/// <summary>A loaded adapter with its cache id and the requests using it.</summary>
internal sealed class AdapterEntry(LoraAdapter adapter, int id)
{
    public LoraAdapter Adapter { get; } = adapter;

    /// <summary>Part of the prefix-cache hash: blocks computed with different adapters never mix.</summary>
    public int Id { get; } = id;

    public int InUse;

    public long LastUsed;

    public bool Unloading;

    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
