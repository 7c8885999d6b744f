using System.Text.RegularExpressions;

namespace CyLlm.Tokenizers.Bpe;

/// <summary>
/// Splits text into words before byte-level BPE, with the regexes llama.cpp uses for each
/// <c>tokenizer.ggml.pre</c> name. Some names apply two expressions in sequence (e.g. single digits first).
/// </summary>
public sealed class PreTokenizer
{
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Digits = @"\p{N}";

    private readonly Regex[] _stages;

    public PreTokenizer(string? name)
    {
        Name = name ?? "gpt2";
        string[] exprs = Name switch
        {
            "llama-bpe" or "llama3" or "llama-v3" or "dbrx" or "smaug-bpe" => [Llama3],
            "qwen2" or "deepseek-r1-qwen" => [Qwen2],
            "smollm" or "starcoder" or "refact" or "codeshell" => [Digits, Gpt2],
            _ => [Gpt2],
        };
        _stages = exprs.Select(e => new Regex(e, RegexOptions.Compiled | RegexOptions.CultureInvariant)).ToArray();
    }

    public string Name { get; }

    /// <summary>The words of <paramref name="text"/>, in order; their concatenation is the text.</summary>
    public List<string> Split(string text)
    {
        var words = new List<string> { text };
        foreach (var re in _stages)
        {
            var next = new List<string>(words.Count * 2);
            foreach (var w in words)
            {
                int pos = 0;
                foreach (Match m in re.Matches(w))
                {
                    if (m.Index > pos)
                    {
                        next.Add(w[pos..m.Index]);
                    }

                    if (m.Length > 0)
                    {
                        next.Add(m.Value);
                    }

                    pos = m.Index + m.Length;
                }

                if (pos < w.Length)
                {
                    next.Add(w[pos..]);
                }
            }

            words = next;
        }

        return words;
    }
}
