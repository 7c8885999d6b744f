namespace CyLlm.Tokenizers;

/// <summary>Text ↔ token ids for one model's vocabulary.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    int BosId { get; }

    int EosId { get; }

    /// <summary>Ids that end generation: EOS plus end-of-turn ids (e.g. &lt;|eot_id|&gt;, &lt;|im_end|&gt;).</summary>
    IReadOnlyList<int> EndOfGenerationIds { get; }

    bool AddBosByDefault { get; }

    /// <summary>Encodes <paramref name="text"/>; with <paramref name="parseSpecial"/>, special-token text
    /// (control and user-defined tokens) is matched whole instead of being split.</summary>
    int[] Encode(string text, bool addBos, bool parseSpecial);

    /// <summary>The raw bytes a token stands for (control tokens give their text only when
    /// <paramref name="renderSpecial"/>).</summary>
    byte[] PieceBytes(int id, bool renderSpecial = false);

    /// <summary>Decodes ids to text (invalid UTF-8 becomes U+FFFD).</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecial = true);

    /// <summary>True for control tokens (BOS, EOS, chat markers).</summary>
    bool IsControl(int id);
}
