namespace CyLlm.Tokenizers;

/// <summary>A candidate join of the adjacent symbols Left and Right, with what they were when it was queued.</summary>
internal struct MergeCandidate
{
    public long Key;   // order: smallest first (see the tokenizers for how rank/score and position are packed)
    public int Left;   // symbol index
    public int Right;  // symbol index
    public int A;      // tokenizer-specific staleness check (sizes or symbol ids of the two sides)
    public int B;
}
