namespace CyLlm.Engine.Tests;

/// <summary>Tests that sample the process's managed allocations run alone, so what they see is their own.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement
{
}
