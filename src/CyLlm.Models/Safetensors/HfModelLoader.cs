using System.Text.Json;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// Hugging Face model folders: config.json, model.safetensors or model.safetensors.index.json with shards, and
/// tokenizer.json (+ tokenizer_config.json). Every shard is memory-mapped; tensor names are mapped to the
/// canonical GGUF names and shapes reversed to ggml order (HF [out, in] → [in, out]). HF checkpoints keep Q/K
/// unpermuted, so RoPE rotates half-split pairs (<see cref="RopeLayout.HalfSplit"/>).
/// </summary>
public static partial class HfModelLoader
{
    private const long MaxConfigBytes = 16 << 20;

    /// <summary>Loads the folder; <paramref name="loadTokenizer"/> false skips its tokenizer.json (the caller
    /// supplies another one, which then need not be one CyLlm can read).</summary>
    public static LoadedModel Load(string folder, bool loadTokenizer = true) =>
        HfJson.Guard(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), () => LoadFolder(folder, loadTokenizer));

    private static LoadedModel LoadFolder(string folder, bool loadTokenizer)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
        {
            throw new ModelFormatException($"{folder}: no config.json (a Hugging Face model folder needs one)");
        }

        using var configDoc = HfJson.ParseFile(configPath, MaxConfigBytes);
        var cfg = configDoc.RootElement;
        var files = ShardFiles(folder, out var index);
        var maps = new List<MappedFile>(files.Count);
        var owned = new List<NativeBuffer>();
        try
        {
            var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
            Flatten(cfg, "config", metadata);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var experts = new Dictionary<string, SortedDictionary<int, HfExpertStacker.Part>>(StringComparer.Ordinal);
            long bytes = 0;
            foreach (var f in files)
            {
                var map = MappedFile.Open(f);
                maps.Add(map);
                bytes += map.Length;
                AddTensors(map, index, tensors, seen, metadata, experts, IsGemma(cfg));
            }

            foreach (var stacked in experts.Keys)
            {
                if (tensors.ContainsKey(stacked))
                {
                    throw new ModelFormatException($"the checkpoint holds {stacked} both as one tensor and as per-expert matrices");
                }
            }

            owned.AddRange(HfExpertStacker.Stack(experts, tensors));

            if (index is not null)
            {
                foreach (var (hfName, shard) in index)
                {
                    if (!seen.Contains(hfName))
                    {
                        throw new ModelFormatException($"model.safetensors.index.json lists '{hfName}' in {shard}, but that shard does not hold it");
                    }
                }
            }

            var config = Config(cfg, tensors, folder);
            if (config.TiedEmbeddings)
            {
                // Some checkpoints save lm_head even when it is tied; the embedding is the one used.
                tensors.Remove("output.weight");
            }

            ModelValidator.Validate(config, tensors, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))));
            string tokenizerJson = Path.Combine(folder, "tokenizer.json");
            var tokenizer = loadTokenizer && File.Exists(tokenizerJson) ? HfTokenizerLoader.Load(tokenizerJson, config.VocabSize) : null;
            if (tokenizer is not null && tokenizer.Tokens.Count != config.VocabSize)
            {
                throw new ModelFormatException($"tokenizer.json has {tokenizer.Tokens.Count} tokens but config.json vocab_size is {config.VocabSize}");
            }

            metadata["hf.shards"] = files.Count;
            return new LoadedModel("safetensors", config, tensors, tokenizer, metadata, bytes, [.. maps, .. owned]);
        }
        catch
        {
            foreach (var m in maps)
            {
                m.Dispose();
            }

            foreach (var b in owned)
            {
                b.Dispose();
            }

            throw;
        }
    }

    /// <summary>Maps one shard's tensors into <paramref name="tensors"/> under canonical names.</summary>
    private static void AddTensors(MappedFile map, Dictionary<string, string>? index, Dictionary<string, WeightTensor> tensors, HashSet<string> seen, Dictionary<string, object> metadata,
        Dictionary<string, SortedDictionary<int, HfExpertStacker.Part>> experts, bool gemma)
    {
        string shard = Path.GetFileName(map.Path);
        var header = SafetensorsFile.ReadHeader(map.HeaderSpan, map.Length, shard);
        foreach (var (k, v) in header.Metadata)
        {
            metadata[$"safetensors.{k}"] = v;
        }

        foreach (var e in header.Entries)
        {
            if (index is not null && index.TryGetValue(e.Name, out var listed) && listed != shard)
            {
                throw new ModelFormatException($"{shard} holds '{e.Name}', which model.safetensors.index.json places in {listed}");
            }

            if (!seen.Add(e.Name))
            {
                throw new ModelFormatException($"{shard}: tensor '{e.Name}' appears in more than one shard");
            }

            if (HfTensorNames.TryExpert(e.Name, out string stacked, out int expert))
            {
                if (!experts.TryGetValue(stacked, out var parts))
                {
                    experts[stacked] = parts = [];
                }

                // Names are unique across shards (checked above), so each (layer, matrix, expert) arrives once.
                parts[expert] = new HfExpertStacker.Part(SafetensorsFile.ToWeight(map, header, e, $"{stacked}[{expert}]"), map, e.Name);
                continue;
            }

            string? canonical = HfTensorNames.Canonical(e.Name, gemma);
            if (canonical is null)
            {
                continue;
            }

            var t = SafetensorsFile.ToWeight(map, header, e, canonical);
            if (!tensors.TryAdd(canonical, t))
            {
                throw new ModelFormatException($"{shard}: tensor '{e.Name}' ({canonical}) appears twice in the checkpoint");
            }
        }
    }

    /// <summary>
    /// The weight files: model.safetensors, or the shards named by model.safetensors.index.json ("weight_map":
    /// tensor → file). <paramref name="index"/> is that map, null for a single file.
    /// </summary>
    private static List<string> ShardFiles(string folder, out Dictionary<string, string>? index)
    {
        index = null;
        string single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(single))
        {
            return [single];
        }

        string indexPath = Path.Combine(folder, "model.safetensors.index.json");
        if (!File.Exists(indexPath))
        {
            throw new ModelFormatException($"{folder}: neither model.safetensors nor model.safetensors.index.json exists");
        }

        using var doc = HfJson.ParseFile(indexPath, MaxConfigBytes);
        var weightMap = HfJson.Obj(doc.RootElement, "weight_map") ?? throw new ModelFormatException("model.safetensors.index.json has no weight_map object");
        index = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in weightMap.EnumerateObject())
        {
            string shard = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
            // Shards are plain file names beside the index: anything else could point outside the folder.
            if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or ".." || !shard.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                throw new ModelFormatException($"model.safetensors.index.json names an invalid shard '{shard}' for '{p.Name}'");
            }

            index[p.Name] = shard;
            names.Add(shard);
        }

        if (names.Count == 0)
        {
            throw new ModelFormatException("model.safetensors.index.json lists no tensors");
        }

        var files = new List<string>(names.Count);
        foreach (var n in names)
        {
            string f = Path.Combine(folder, n);
            if (!File.Exists(f))
            {
                throw new ModelFormatException($"shard {n} named by model.safetensors.index.json is missing");
            }

            files.Add(f);
        }

        return files;
    }

    /// <summary>config.json as metadata: nested objects flattened with dots, numbers as long or double, arrays
    /// of numbers/strings as typed arrays, anything else as its JSON text.</summary>
    private static void Flatten(JsonElement e, string prefix, Dictionary<string, object> into)
    {
        foreach (var p in e.EnumerateObject())
        {
            string key = $"{prefix}.{p.Name}";
            var v = p.Value;
            switch (v.ValueKind)
            {
                case JsonValueKind.Object:
                    Flatten(v, key, into);
                    break;
                case JsonValueKind.String:
                    into[key] = v.GetString()!;
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    into[key] = v.GetBoolean();
                    break;
                case JsonValueKind.Number:
                    into[key] = HfJson.AsLong(v) is long l ? l : v.TryGetDouble(out double d) ? d : v.GetRawText();
                    break;
                case JsonValueKind.Array when v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && HfJson.AsLong(x) is not null):
                    into[key] = v.EnumerateArray().Select(x => HfJson.AsLong(x)!.Value).ToArray();
                    break;
                case JsonValueKind.Array when v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String):
                    into[key] = v.EnumerateArray().Select(x => x.GetString()!).ToArray();
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    into[key] = v.GetRawText();
                    break;
            }
        }
    }
}
