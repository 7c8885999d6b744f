using CyLlm.Tensors;

namespace CyLlm.Models.Gguf;

/// <summary>A tensor entry of a GGUF header. Offset is relative to the start of the tensor data section.</summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, GgmlType Type, ulong Offset, long ByteLength);
