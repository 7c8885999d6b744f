namespace CyLlm.Models.Safetensors;

/// <summary>One tensor of a safetensors header. Shape is row-major as written (outermost first, e.g. a
/// Linear weight is [out, in]); Begin/End are byte offsets from the start of the data section.</summary>
public sealed record SafetensorsEntry(string Name, string Dtype, long[] Shape, long Begin, long End);
