namespace CyLlm.Models.Gguf;

/// <summary>The parsed header of a GGUF file: version, metadata, tensor infos and where the data begins.</summary>
public sealed record GgufHeader(
    uint Version,
    IReadOnlyDictionary<string, object> Metadata,
    IReadOnlyList<GgufTensorInfo> Tensors,
    long DataOffset,
    int Alignment);
