using System.Buffers;
using System.Diagnostics;

namespace CyLlm.Tokenizers.Bpe;

/// <summary>
/// Splits text into words before byte-level BPE, as llama.cpp does for each <c>tokenizer.ggml.pre</c> name:
/// a sequence of passes, each splitting every piece of the previous one further; text between matches stays
/// a piece of its own. The passes are hand-written over code points (as llama.cpp's own fast paths for the
/// GPT-2, Llama 3 and Qwen2 expressions; the GPT-4o one, which llama.cpp runs through std::regex, likewise), so astral-plane letters and digits are classified correctly and
/// the cost is linear.
/// </summary>
public sealed partial class PreTokenizer
{
    private readonly PreTokenizerStage[] _stages;

    /// <param name="name">GGUF <c>tokenizer.ggml.pre</c>; null or empty means llama.cpp's "default".</param>
    /// <exception cref="NotSupportedException">A pre-tokenizer this engine does not implement.</exception>
    public PreTokenizer(string? name)
    {
        Name = string.IsNullOrEmpty(name) ? "default" : name;
        (_stages, IgnoreMerges) = Stages(Name);
    }

    private static (PreTokenizerStage[] Stages, bool IgnoreMerges) Stages(string name) => name switch
    {
        "default" => (new[] { PreTokenizerStage.PunctuationRuns, PreTokenizerStage.Gpt2, PreTokenizerStage.DigitRuns, PreTokenizerStage.AsciiDigitTriples }, false),
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2" or "jina-v5-nano"
            => (new[] { PreTokenizerStage.Llama3 }, true),
        "dbrx" or "smaug-bpe" or "chatglm-bpe" or "glm4" => (new[] { PreTokenizerStage.Llama3 }, false),
        "qwen2" or "deepseek-r1-qwen" or "kormo" or "f2llmv2" or "megrez" or "stablelm2" or "hunyuan" or "solar-open" or "grok-2"
            => (new[] { PreTokenizerStage.Qwen2 }, false),
        "gpt-4o" or "llama4" or "kanana2" or "talkie" or "minimax-m2" => (new[] { PreTokenizerStage.Gpt4o }, false),
        "gpt2" or "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v2-es" or "jina-v2-de" or "a.x-4.0" or "mellum"
            or "modern-bert" or "mpt" or "olmo" or "jais" or "trillion" or "granite-docling" or "exaone4" or "jina-v1-en"
            or "jina-v2-code" or "roberta-bpe" => (new[] { PreTokenizerStage.Gpt2 }, false),
        "starcoder" or "refact" or "command-r" or "smollm" or "codeshell" or "exaone" or "minerva-7b" or "mellum2"
            => (new[] { PreTokenizerStage.SingleDigits, PreTokenizerStage.Gpt2 }, false),
        _ => throw new NotSupportedException($"byte-level BPE pre-tokenizer '{name}' is not supported (supported: default, gpt-2, gpt-4o, llama-bpe, qwen2, smollm, starcoder and their aliases)"),
    };

    /// <summary>The pre-tokenizer name as given (or "default").</summary>
    public string Name { get; }

    /// <summary>llama.cpp's ignore_merges (Llama 3 family): a word that is a vocabulary piece as a whole is
    /// taken as it is, without running the merges.</summary>
    public bool IgnoreMerges { get; }

    /// <summary>The words of <paramref name="text"/>, in order; their concatenation is the text.</summary>
    public List<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ranges = new List<Range>();
        Split(text, ranges);
        var words = new List<string>(ranges.Count);
        foreach (var r in ranges)
        {
            words.Add(text[r]);
        }

        return words;
    }

    /// <summary>Appends the char ranges of the words of <paramref name="text"/>, in order, covering it.</summary>
    public void Split(ReadOnlySpan<char> text, List<Range> words)
    {
        if (text.IsEmpty)
        {
            return;
        }

        // Code points (a lone surrogate counts as U+FFFD) and where each starts in the text.
        int[] cps = ArrayPool<int>.Shared.Rent(text.Length);
        int[] at = ArrayPool<int>.Shared.Rent(text.Length + 1);
        try
        {
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                at[n] = i;
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    cps[n++] = char.ConvertToUtf32(c, text[++i]);
                }
                else
                {
                    cps[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
                }
            }

            at[n] = text.Length;
            var span = cps.AsSpan(0, n);
            var lengths = new List<int> { n }; // piece lengths in code points
            var next = new List<int>();
            foreach (var stage in _stages)
            {
                next.Clear();
                RunStage(stage, span, lengths, next);
                (lengths, next) = (next, lengths);
            }

            int start = 0;
            foreach (int len in lengths)
            {
                Debug.Assert(len > 0, "pieces are never empty");
                words.Add(at[start]..at[start + len]);
                start += len;
            }

            Debug.Assert(start == n, "the pieces cover the text");
        }
        finally
        {
            ArrayPool<int>.Shared.Return(cps);
            ArrayPool<int>.Shared.Return(at);
        }
    }

    private static void RunStage(PreTokenizerStage stage, ReadOnlySpan<int> cps, List<int> lengths, List<int> result)
    {
        int start = 0;
        foreach (int len in lengths)
        {
            var segment = new Segment(cps, start, start + len, result);
            switch (stage)
            {
                case PreTokenizerStage.Gpt2:
                    SplitGpt2(ref segment);
                    break;
                case PreTokenizerStage.Llama3:
                    SplitLlama3(ref segment, maxDigits: 3);
                    break;
                case PreTokenizerStage.Qwen2:
                    SplitLlama3(ref segment, maxDigits: 1);
                    break;
                case PreTokenizerStage.Gpt4o:
                    SplitGpt4o(ref segment);
                    break;
                default:
                    SplitSimple(ref segment, stage);
                    break;
            }

            segment.AddToken(start + len); // text after the last match stays a piece of its own
            start += len;
        }
    }
}
