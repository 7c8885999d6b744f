namespace CyLlm.Models.Safetensors;

/// <summary>A parsed safetensors header: its tensors in file order, the free-form "__metadata__" strings, and
/// the file offset where the data section starts (8 + header length).</summary>
public sealed record SafetensorsHeader(IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart);
