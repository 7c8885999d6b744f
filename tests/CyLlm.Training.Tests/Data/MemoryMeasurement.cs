namespace CyLlm.Training.Tests.Data;

/// <summary>Tests that sample the process's managed heap run alone, so the heap they see is their own.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement
{
}
