namespace CyLlm.Tokenizers;

/// <summary>A run of the input, Start and Length in chars: raw text to encode (<see cref="TokenId"/> −1) or one
/// special token matched whole.</summary>
internal readonly record struct Fragment(int Start, int Length, int TokenId);
