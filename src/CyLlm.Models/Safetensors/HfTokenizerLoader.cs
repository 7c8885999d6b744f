using System.Text.Json;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// tokenizer.json (+ tokenizer_config.json): byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2) or the
/// SentencePiece-style BPE with byte fallback of Llama 2 / TinyLlama (scores derived from merge ranks, as
/// llama.cpp's converter does).
/// </summary>
public static class HfTokenizerLoader
{
    public static TokenizerData Load(string folder, string tokenizerJson)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(tokenizerJson));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{Path.GetFileName(tokenizerJson)} is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            var model = root.GetProperty("model");
            if (HfModelLoader.Str(model, "type") is not "BPE")
            {
                throw new ModelFormatException($"{Path.GetFileName(tokenizerJson)}: only BPE tokenizers are supported");
            }

            var vocab = model.GetProperty("vocab");
            var added = root.TryGetProperty("added_tokens", out var at) ? at : default;
            int count = 0;
            foreach (var p in vocab.EnumerateObject())
            {
                count = Math.Max(count, p.Value.GetInt32() + 1);
            }

            if (added.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in added.EnumerateArray())
                {
                    count = Math.Max(count, a.GetProperty("id").GetInt32() + 1);
                }
            }

            if (count <= 0 || count > 1 << 22)
            {
                throw new ModelFormatException($"{Path.GetFileName(tokenizerJson)}: implausible vocabulary size {count}");
            }

            var tokens = new string[count];
            var types = new int[count];
            for (int i = 0; i < count; i++)
            {
                tokens[i] = $"[PAD{i}]";
                types[i] = 5;
            }

            foreach (var p in vocab.EnumerateObject())
            {
                tokens[p.Value.GetInt32()] = p.Name;
                types[p.Value.GetInt32()] = 1;
            }

            var merges = new List<string>();
            if (model.TryGetProperty("merges", out var mg))
            {
                foreach (var m in mg.EnumerateArray())
                {
                    merges.Add(m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString() ?? "");
                }
            }

            if (added.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in added.EnumerateArray())
                {
                    int id = a.GetProperty("id").GetInt32();
                    tokens[id] = a.GetProperty("content").GetString() ?? "";
                    types[id] = HfModelLoader.Bool(a, "special") == true ? 3 : 4;
                }
            }

            bool byteFallback = HfModelLoader.Bool(model, "byte_fallback") == true;
            string preJson = root.TryGetProperty("pre_tokenizer", out var pre) ? pre.GetRawText() : "";
            bool sentencePiece = byteFallback || preJson.Contains("Metaspace", StringComparison.Ordinal) || (root.TryGetProperty("normalizer", out var norm) && norm.GetRawText().Contains('\u2581'));

            var cfg = ReadConfig(folder);
            int Find(string? text) => text is null ? -1 : Array.IndexOf(tokens, text);
            int bos = Find(cfg.Bos), eos = Find(cfg.Eos);
            if (sentencePiece)
            {
                // llama.cpp's converter: merged pieces get score −rank of the merge that forms them.
                var scores = new float[count];
                var rank = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int i = 0; i < merges.Count; i++)
                {
                    string merged = merges[i].Replace(" ", "", StringComparison.Ordinal);
                    rank.TryAdd(merged, i);
                }

                for (int i = 0; i < count; i++)
                {
                    if (tokens[i].Length == 6 && tokens[i].StartsWith("<0x", StringComparison.Ordinal))
                    {
                        types[i] = 6;
                    }

                    scores[i] = rank.TryGetValue(tokens[i], out int r) ? -r : (types[i] == 1 ? -1e6f + i : 0);
                }

                return new TokenizerData
                {
                    Kind = TokenizerKind.SentencePiece,
                    Tokens = tokens,
                    Scores = scores,
                    TokenTypes = types,
                    BosId = bos >= 0 ? bos : 1,
                    EosId = eos >= 0 ? eos : 2,
                    UnkId = Find("<unk>"),
                    AddBos = cfg.AddBos ?? true,
                    AddSpacePrefix = true,
                    ChatTemplate = cfg.ChatTemplate,
                };
            }

            return new TokenizerData
            {
                Kind = TokenizerKind.ByteLevelBpe,
                Tokens = tokens,
                TokenTypes = types,
                Merges = merges,
                PreTokenizer = GuessPre(preJson),
                BosId = bos,
                EosId = eos,
                EotIds = new[] { Find("<|eot_id|>"), Find("<|im_end|>"), Find("<|end_of_text|>"), Find("<|endoftext|>") }.Where(i => i >= 0 && i != eos).Distinct().ToArray(),
                AddBos = cfg.AddBos ?? false,
                AddSpacePrefix = false,
                ChatTemplate = cfg.ChatTemplate,
            };
        }
    }

    private static string GuessPre(string preJson)
    {
        if (preJson.Contains("(?i:'s|'t|'re|'ve|'m|'ll|'d)", StringComparison.Ordinal) && preJson.Contains("\\\\p{N}{1,3}", StringComparison.Ordinal))
        {
            return "llama-bpe";
        }

        if (preJson.Contains("(?i:'s|'t|'re|'ve|'m|'ll|'d)", StringComparison.Ordinal))
        {
            return "qwen2";
        }

        return "gpt2";
    }

    private sealed record TokenizerConfig(string? Bos, string? Eos, bool? AddBos, string? ChatTemplate);

    private static TokenizerConfig ReadConfig(string folder)
    {
        string p = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(p))
        {
            return new TokenizerConfig(null, null, null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(p));
            var r = doc.RootElement;
            static string? Tok(JsonElement r, string k) => r.TryGetProperty(k, out var v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Object ? HfModelLoader.Str(v, "content") : null
                : null;
            string? template = null;
            if (r.TryGetProperty("chat_template", out var ct))
            {
                if (ct.ValueKind == JsonValueKind.String)
                {
                    template = ct.GetString();
                }
                else if (ct.ValueKind == JsonValueKind.Array)
                {
                    foreach (var t in ct.EnumerateArray())
                    {
                        if (HfModelLoader.Str(t, "name") == "default")
                        {
                            template = HfModelLoader.Str(t, "template");
                        }
                    }
                }
            }

            return new TokenizerConfig(Tok(r, "bos_token"), Tok(r, "eos_token"), HfModelLoader.Bool(r, "add_bos_token"), template);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"tokenizer_config.json is not valid JSON: {e.Message}");
        }
    }
}
