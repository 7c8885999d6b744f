using System.Text.Json;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// Names a tokenizer.json pre-tokenizer the way GGUF's <c>tokenizer.ggml.pre</c> does. llama.cpp's converter
/// identifies it by hashing the token ids of a test string; without the Hugging Face runtime we recognise the
/// known pipelines by their structure and regex instead.
/// </summary>
public static class HfPreTokenizer
{
    /// <summary>Llama 3 (tiktoken cl100k-style): digits in runs of up to three.</summary>
    public const string Llama3Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2: as Llama 3 but single digits.</summary>
    public const string Qwen2Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// GPT-4o (tiktoken o200k; Phi-4-mini): letter runs split by case, contractions attached, digits in runs of up to
    /// three. llama.cpp names it "gpt-4o" and runs its own rewrite of it (whose letter classes, unlike this one's,
    /// leave out \p{M}); CyLlm follows llama.cpp, as for every other pre-tokenizer.
    /// </summary>
    public const string Gpt4oRegex = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2, the expression ByteLevel(use_regex: true) applies.</summary>
    public const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// "llama-bpe", "qwen2", "gpt-4o", "smollm" or "gpt2" for a byte-level pre_tokenizer element; null when the pipeline
    /// is none of those (the caller refuses it: guessing would tokenize differently from the model's own).
    /// </summary>
    public static string? Detect(JsonElement? preTokenizer)
    {
        if (preTokenizer is not { } pre)
        {
            return null;
        }

        var stages = new List<JsonElement>();
        FlattenSequence(pre, stages, 0);
        var regexes = new List<string>();
        bool byteLevelRegex = false, singleDigits = false, other = false;
        foreach (var s in stages)
        {
            switch (HfJson.Str(s, "type"))
            {
                case "Split" when HfJson.Obj(s, "pattern") is { } p && HfJson.Str(p, "Regex") is { } re:
                    regexes.Add(re);
                    break;
                case "ByteLevel":
                    byteLevelRegex |= HfJson.Bool(s, "use_regex") ?? true;
                    break;
                case "Digits":
                    singleDigits |= HfJson.Bool(s, "individual_digits") ?? false;
                    other |= HfJson.Bool(s, "individual_digits") != true;
                    break;
                default:
                    other = true;
                    break;
            }
        }

        if (other)
        {
            return null;
        }

        return (regexes.Count, byteLevelRegex, singleDigits) switch
        {
            (1, false, false) when regexes[0] == Llama3Regex => "llama-bpe",
            (1, false, false) when regexes[0] == Qwen2Regex => "qwen2",
            (1, false, false) when regexes[0] == Gpt2Regex => "gpt2",
            (1, false, false) when regexes[0] == Gpt4oRegex => "gpt-4o",
            (0, true, true) => "smollm",
            (0, true, false) => "gpt2",
            _ => null,
        };
    }

    private static void FlattenSequence(JsonElement e, List<JsonElement> into, int depth)
    {
        if (depth < 8 && HfJson.Str(e, "type") == "Sequence" && HfJson.Arr(e, "pretokenizers") is { } list)
        {
            foreach (var x in list.EnumerateArray())
            {
                FlattenSequence(x, into, depth + 1);
            }

            return;
        }

        into.Add(e);
    }
}
