using System.Text.Json;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// Special ids, add-BOS/EOS flags and the chat template of a Hugging Face tokenizer, resolved the way gguf-py's
/// SpecialVocab does: tokenizer_config.json first, then the TemplateProcessing post-processor of
/// tokenizer.json, then config.json's *_token_id; whatever none of them says takes llama.cpp's default.
/// </summary>
internal sealed record SpecialTokens(
    int Bos,
    int Eos,
    int Unk,
    int Pad,
    IReadOnlyList<int> Eot,
    bool AddBos,
    bool AddEos,
    bool AddSpacePrefix,
    string? ChatTemplate)
{
    private const long MaxJsonBytes = 64 << 20;

    // End-of-turn markers of the chat models we run; llama.cpp stops on them too (by text, see LlamaCppConventions).
    private static readonly string[] EndOfTurnTexts = ["<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end_of_text|>", "<|endoftext|>", "<|end|>"];

    public static SpecialTokens Read(JsonElement tokenizer, string folder, Dictionary<string, int> lookup, bool spm)
    {
        using var tcDoc = OptionalJson(Path.Combine(folder, "tokenizer_config.json"));
        using var cfgDoc = OptionalJson(Path.Combine(folder, "config.json"));
        var tc = tcDoc?.RootElement;
        var cfg = cfgDoc?.RootElement;
        int Find(string? text) => text is not null && lookup.TryGetValue(text, out int id) ? id : -1;
        int FromConfig(string key, List<int>? extras = null)
        {
            if (cfg is not { } c || HfJson.Prop(c, key) is not { } v)
            {
                return -1;
            }

            if (v.ValueKind == JsonValueKind.Array)
            {
                // e.g. Llama 3.1 Instruct: "eos_token_id": [128001, 128008, 128009]
                int first = -1;
                foreach (var x in v.EnumerateArray())
                {
                    int id = Valid(HfJson.AsLong(x));
                    if (first < 0)
                    {
                        first = id;
                    }
                    else if (id >= 0)
                    {
                        extras?.Add(id);
                    }
                }

                return first;
            }

            return Valid(HfJson.AsLong(v));
        }

        int Valid(long? id) => id is long l && l >= 0 && l < lookup.Count ? (int)l : -1;

        var (templateBos, templateEos, addBosFromTemplate, addEosFromTemplate) = PostProcessor(tokenizer, Find);
        var eot = new List<int>();
        int bos = Find(tc is { } t1 ? HfJson.TokenText(t1, "bos_token") : null);
        if (bos < 0)
        {
            bos = templateBos >= 0 ? templateBos : FromConfig("bos_token_id");
        }

        int eos = Find(tc is { } t2 ? HfJson.TokenText(t2, "eos_token") : null);
        int cfgEos = FromConfig("eos_token_id", eot);
        if (eos < 0)
        {
            eos = cfgEos >= 0 ? cfgEos : templateEos;
        }
        else if (cfgEos >= 0 && cfgEos != eos)
        {
            eot.Add(cfgEos);
        }

        int unk = Find(HfJson.Obj(tokenizer, "model") is { } m ? HfJson.Str(m, "unk_token") : null);
        if (unk < 0 && tc is { } t3)
        {
            unk = Find(HfJson.TokenText(t3, "unk_token"));
        }

        int pad = Find(tc is { } t4 ? HfJson.TokenText(t4, "pad_token") : null);
        if (pad < 0)
        {
            pad = FromConfig("pad_token_id");
        }

        foreach (var text in EndOfTurnTexts)
        {
            int id = Find(text);
            if (id >= 0 && !eot.Contains(id))
            {
                eot.Add(id);
            }
        }

        eot.RemoveAll(id => id == eos);
        string? pre = spm ? null : HfPreTokenizer.Detect(HfJson.Prop(tokenizer, "pre_tokenizer"));
        bool addBos = (tc is { } t5 ? HfJson.Bool(t5, "add_bos_token") : null) ?? addBosFromTemplate
            ?? (spm || Gguf.GgufTokenizer.AddsBosByDefault(pre));
        bool addEos = (tc is { } t6 ? HfJson.Bool(t6, "add_eos_token") : null) ?? addEosFromTemplate ?? false;
        bool addSpacePrefix = (tc is { } t7 ? HfJson.Bool(t7, "add_prefix_space") : null) ?? SpacePrefix(tokenizer) ?? true;
        return new SpecialTokens(bos, eos, spm && unk < 0 ? Find("<unk>") : unk, pad, eot, addBos, addEos, addSpacePrefix, ReadChatTemplate(tc, folder));
    }

    /// <summary>
    /// A TemplateProcessing post-processor (alone or in a Sequence, as Llama 3 has it): a leading special token
    /// means BOS is added, a trailing one EOS — gguf-py's crude but effective reading.
    /// </summary>
    private static (int Bos, int Eos, bool? AddBos, bool? AddEos) PostProcessor(JsonElement tokenizer, Func<string?, int> find)
    {
        if (HfJson.Obj(tokenizer, "post_processor") is not { } post)
        {
            return (-1, -1, null, null);
        }

        var processors = HfJson.Arr(post, "processors") is { } list ? list.EnumerateArray().ToList() : [post];
        foreach (var p in processors)
        {
            if (HfJson.Str(p, "type") != "TemplateProcessing" || HfJson.Arr(p, "single") is not { } single || single.GetArrayLength() < 2)
            {
                continue;
            }

            string? first = HfJson.Obj(single[0], "SpecialToken") is { } f ? HfJson.Str(f, "id") : null;
            string? last = HfJson.Obj(single[single.GetArrayLength() - 1], "SpecialToken") is { } l ? HfJson.Str(l, "id") : null;
            return (find(first), find(last), first is not null, last is not null);
        }

        return (-1, -1, null, null);
    }

    /// <summary>Whether a SentencePiece-style tokenizer prepends ▁: a Prepend normalizer, or a Metaspace
    /// pre-tokenizer that prepends (prepend_scheme first/always, or the older add_prefix_space).</summary>
    private static bool? SpacePrefix(JsonElement tokenizer)
    {
        if (HfJson.Prop(tokenizer, "normalizer") is { } n && n.GetRawText().Contains("\"Prepend\"", StringComparison.Ordinal))
        {
            return true;
        }

        if (HfJson.Prop(tokenizer, "pre_tokenizer") is { } pre)
        {
            var stages = HfJson.Arr(pre, "pretokenizers") is { } seq ? seq.EnumerateArray().ToList() : [pre];
            foreach (var s in stages)
            {
                if (HfJson.Str(s, "type") == "Metaspace")
                {
                    return HfJson.Str(s, "prepend_scheme") is { } scheme ? scheme is "first" or "always" : HfJson.Bool(s, "add_prefix_space") ?? true;
                }
            }
        }

        return null;
    }

    /// <summary>tokenizer_config.json's chat_template (a string, or a list of named templates of which
    /// "default" is taken), else chat_template.jinja, else chat_template.json, as gguf-py reads them.</summary>
    private static string? ReadChatTemplate(JsonElement? tc, string folder)
    {
        if (tc is { } t && FromValue(HfJson.Prop(t, "chat_template")) is { } fromConfig)
        {
            return fromConfig;
        }

        string jinja = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(jinja))
        {
            if (new FileInfo(jinja).Length > MaxJsonBytes)
            {
                throw new ModelFormatException("chat_template.jinja is too large");
            }

            return File.ReadAllText(jinja);
        }

        using var json = OptionalJson(Path.Combine(folder, "chat_template.json"));
        return json is null ? null : FromValue(HfJson.Prop(json.RootElement, "chat_template"));
    }

    private static string? FromValue(JsonElement? v)
    {
        if (v is not { } e)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.String)
        {
            return e.GetString();
        }

        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in e.EnumerateArray())
            {
                if (HfJson.Str(t, "name") == "default")
                {
                    return HfJson.Str(t, "template");
                }
            }
        }

        return null;
    }

    private static JsonDocument? OptionalJson(string path) => File.Exists(path) ? HfJson.ParseFile(path, MaxJsonBytes) : null;
}
