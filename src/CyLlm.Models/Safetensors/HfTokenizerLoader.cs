using System.Text.Json;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// tokenizer.json (+ tokenizer_config.json, chat_template.jinja and config.json from the same folder) → the
/// GGUF-style <see cref="TokenizerData"/> llama.cpp's converter would write:
/// <list type="bullet">
/// <item>byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2): vocab, merges ("a b" strings, or [a, b] pairs whose
/// spaces become U+0120 as gguf-py does), added tokens as control (special, or looking special such as
/// &lt;|...|&gt;) or user-defined, ids without a token as "[PAD{id}]" (unused), the pre-tokenizer named from its
/// structure (<see cref="HfPreTokenizer"/>);</item>
/// <item>SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral): scores from merge ranks (see
/// <see cref="Scores"/>), &lt;0xXX&gt; byte tokens, &lt;unk&gt; as unknown.</item>
/// </list>
/// </summary>
public static partial class HfTokenizerLoader
{
    private const long MaxTokenizerBytes = 512L << 20;
    private const int MaxVocab = 1 << 22;

    // Lowest score: a piece no merge of tokenizer.json produces must not win a merge (SentencePiece uses the
    // same value for its unmergeable pieces).
    private const float Unmergeable = -1e9f;

    /// <summary>
    /// Loads <paramref name="tokenizerJson"/>; the vocabulary is padded with "[PAD{id}]" (unused) tokens up to
    /// <paramref name="vocabSize"/> (config.json vocab_size: embedding rows beyond the tokenizer), as llama.cpp's
    /// converter does.
    /// </summary>
    public static TokenizerData Load(string tokenizerJson, int vocabSize = 0) =>
        HfJson.Guard(Path.GetFileName(tokenizerJson), () => LoadJson(tokenizerJson, vocabSize));

    private static TokenizerData LoadJson(string tokenizerJson, int vocabSize)
    {
        string name = Path.GetFileName(tokenizerJson);
        string folder = Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!;
        using var doc = HfJson.ParseFile(tokenizerJson, MaxTokenizerBytes);
        var root = doc.RootElement;
        var model = HfJson.Obj(root, "model") ?? throw new ModelFormatException($"{name}: no \"model\" object");
        string type = HfJson.Str(model, "type") ?? (HfJson.Prop(model, "merges") is not null ? "BPE" : "(none)");
        if (type != "BPE")
        {
            throw new ModelFormatException($"{name}: tokenizer model type '{type}' is not supported (BPE only)");
        }

        var vocab = HfJson.Obj(model, "vocab") ?? throw new ModelFormatException($"{name}: model.vocab is missing");
        var added = ReadAdded(root, name);
        int entries = added.Count, maxId = -1;
        foreach (var p in vocab.EnumerateObject())
        {
            maxId = Math.Max(maxId, Id(p.Value, p.Name, name));
            entries++;
        }

        foreach (var a in added)
        {
            maxId = Math.Max(maxId, a.Id);
        }

        if (maxId < 0)
        {
            throw new ModelFormatException($"{name}: the vocabulary is empty");
        }

        // Holes become "[PAD{id}]" tokens; a few ids beyond the entries is normal, millions is a hostile file
        // asking for a giant allocation. (Padding up to the model's vocab_size is backed by its embedding.)
        if (maxId >= entries + 65536)
        {
            throw new ModelFormatException($"{name}: id {maxId} is far beyond the {entries} tokens the file defines");
        }

        int count = Math.Max(maxId + 1, vocabSize);

        var tokens = new string?[count];
        var types = new int[count];
        foreach (var p in vocab.EnumerateObject())
        {
            int id = Id(p.Value, p.Name, name);
            if (tokens[id] is not null)
            {
                throw new ModelFormatException($"{name}: id {id} is given to both '{tokens[id]}' and '{p.Name}'");
            }

            tokens[id] = p.Name;
            types[id] = (int)TokenType.Normal;
        }

        var merges = ReadMerges(model, name);
        bool spm = IsSentencePiece(root, model);
        if (!spm && !IsByteLevel(root))
        {
            throw new ModelFormatException($"{name}: neither a byte-level BPE nor a SentencePiece-style BPE tokenizer");
        }

        foreach (var a in added)
        {
            tokens[a.Id] = a.Content;
            bool control = a.Special || (!spm && LooksSpecial(a.Content));
            types[a.Id] = (int)(control ? TokenType.Control : TokenType.UserDefined);
            if (!control && !spm)
            {
                // gguf-py pre-normalises user-defined tokens: llama.cpp matches them on raw text.
                tokens[a.Id] = a.Content.Replace('\u2581', ' ');
            }
        }

        for (int i = 0; i < count; i++)
        {
            if (tokens[i] is null)
            {
                tokens[i] = $"[PAD{i}]";
                types[i] = (int)TokenType.Unused;
            }
        }

        var vocabList = (string[])tokens!;
        var lookup = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = count - 1; i >= 0; i--)
        {
            lookup[vocabList[i]] = i; // the lowest id wins for a text that appears twice
        }

        var special = SpecialTokens.Read(root, folder, lookup, spm);
        float[]? scores = null;
        if (spm)
        {
            for (int i = 0; i < count; i++)
            {
                if (types[i] == (int)TokenType.Normal && LlamaC.LlamaCTokenizerLoader.IsBytePiece(vocabList[i]))
                {
                    types[i] = (int)TokenType.Byte;
                }
            }

            if (special.Unk >= 0)
            {
                types[special.Unk] = (int)TokenType.Unknown;
            }

            scores = Scores(vocabList, types, merges);
        }

        return new TokenizerData
        {
            Kind = spm ? TokenizerKind.SentencePiece : TokenizerKind.ByteLevelBpe,
            Tokens = vocabList,
            Scores = scores,
            TokenTypes = types,
            Merges = spm ? null : merges.Select(m => $"{m.Left} {m.Right}").ToArray(),
            PreTokenizer = spm ? null : HfPreTokenizer.Detect(HfJson.Prop(root, "pre_tokenizer"))
                ?? throw new ModelFormatException($"{name}: the pre-tokenizer is not one CyLlm recognises (llama-bpe, qwen2, smollm, gpt2)"),
            BosId = special.Bos,
            EosId = special.Eos,
            UnkId = special.Unk,
            PadId = special.Pad,
            EotIds = special.Eot,
            AddBos = special.AddBos,
            AddEos = special.AddEos,
            AddSpacePrefix = spm && special.AddSpacePrefix,
            ChatTemplate = special.ChatTemplate,
            // Added tokens marked "rstrip" (Phi-3's <|user|>, <|end|>, <|assistant|>, …) swallow the whitespace after them.
            RStripIds = added.Where(a => a.RStrip).Select(a => a.Id).ToArray(),
        };
    }

    /// <summary>
    /// SentencePiece scores for a tokenizer.json that only has merges. A piece's score is −(rank of the first
    /// merge that forms it): transformers' SentencePiece converter emitted the merges in the order of the
    /// pieces' original scores, so the ranks restore that priority exactly (llama.cpp's own HF-only path,
    /// LlamaHfVocab, writes a placeholder −1000 for every token, which loses it). Control, unknown, byte,
    /// user-defined and unused tokens keep 0 as in a SentencePiece model; a normal piece no merge forms gets
    /// the lowest score so that it never wins over a real merge.
    /// </summary>
    private static float[] Scores(string[] tokens, int[] types, List<(string Left, string Right)> merges)
    {
        var rank = new Dictionary<string, int>(merges.Count, StringComparer.Ordinal);
        for (int i = 0; i < merges.Count; i++)
        {
            rank.TryAdd(merges[i].Left + merges[i].Right, i);
        }

        var scores = new float[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (types[i] != (int)TokenType.Normal)
            {
                continue;
            }

            scores[i] = rank.TryGetValue(tokens[i], out int r) ? -r : Unmergeable;
        }

        return scores;
    }

    private static int Id(JsonElement v, string token, string name)
    {
        long id = HfJson.AsLong(v) ?? -1;
        if (id < 0 || id >= MaxVocab)
        {
            throw new ModelFormatException($"{name}: token '{Clip(token)}' has an invalid id {Clip(v.GetRawText())}");
        }

        return (int)id;
    }

    private readonly record struct AddedToken(int Id, string Content, bool Special, bool RStrip);

    private static List<AddedToken> ReadAdded(JsonElement root, string name)
    {
        var list = new List<AddedToken>();
        if (HfJson.Arr(root, "added_tokens") is not { } arr)
        {
            return list;
        }

        foreach (var a in arr.EnumerateArray())
        {
            string? content = HfJson.Str(a, "content");
            var idJson = HfJson.Prop(a, "id");
            if (content is null || idJson is null)
            {
                throw new ModelFormatException($"{name}: an added token lacks its id or content");
            }

            list.Add(new AddedToken(Id(idJson.Value, content, name), content, HfJson.Bool(a, "special") ?? false, HfJson.Bool(a, "rstrip") ?? false));
        }

        return list;
    }

    private static List<(string Left, string Right)> ReadMerges(JsonElement model, string name)
    {
        var merges = new List<(string, string)>();
        if (HfJson.Arr(model, "merges") is not { } arr)
        {
            return merges;
        }

        foreach (var m in arr.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
            {
                string s = m.GetString()!;
                int sp = s.Length < 2 ? -1 : s.IndexOf(' ', 1); // from 1, as llama.cpp splits: a leading space is part of the left token
                if (sp < 0)
                {
                    throw new ModelFormatException($"{name}: merge '{Clip(s)}' is not two tokens separated by a space");
                }

                merges.Add((s[..sp], s[(sp + 1)..]));
            }
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
            {
                // Pairs may contain spaces (transformers ≥ 4.45); GGUF's "a b" form needs them as U+0120,
                // which is what a space is in the byte-level alphabet anyway.
                merges.Add((m[0].GetString()!.Replace(' ', '\u0120'), m[1].GetString()!.Replace(' ', '\u0120')));
            }
            else
            {
                throw new ModelFormatException($"{name}: merge {Clip(m.GetRawText())} is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }

        return merges;
    }

    /// <summary>Byte-fallback BPE, or ▁ handling by a Metaspace pre-tokenizer or a Prepend/Replace normalizer.</summary>
    private static bool IsSentencePiece(JsonElement root, JsonElement model)
    {
        if (HfJson.Bool(model, "byte_fallback") == true || Mentions(HfJson.Prop(root, "pre_tokenizer"), "Metaspace"))
        {
            return true;
        }

        // The raw JSON may spell ▁ literally or as the escape \u2581.
        string normalizer = HfJson.Prop(root, "normalizer")?.GetRawText() ?? "";
        return normalizer.Contains('\u2581') || normalizer.Contains("\\u2581", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsByteLevel(JsonElement root) =>
        Mentions(HfJson.Prop(root, "pre_tokenizer"), "ByteLevel") || Mentions(HfJson.Prop(root, "decoder"), "ByteLevel");

    private static bool Mentions(JsonElement? e, string type) =>
        e is { } v && v.GetRawText().Contains($"\"{type}\"", StringComparison.Ordinal);

    /// <summary>gguf-py's does_token_look_special: added tokens some models fail to mark special.</summary>
    private static bool LooksSpecial(string t) =>
        t is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (t.StartsWith("<|", StringComparison.Ordinal) && t.EndsWith("|>", StringComparison.Ordinal))
        || (t.StartsWith("<\uFF5C", StringComparison.Ordinal) && t.EndsWith("\uFF5C>", StringComparison.Ordinal))
        || (t.StartsWith("<unused", StringComparison.Ordinal) && t.EndsWith('>'));

    private static string Clip(string s) => FormatMessages.OneLine(s.Length <= 40 ? s : s[..40] + "…");
}
