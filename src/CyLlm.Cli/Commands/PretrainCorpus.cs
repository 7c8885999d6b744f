using System.Text.Json;
using CyLlm.Training.Data;

namespace CyLlm.Cli.Commands;

/// <summary>Reads a pre-training corpus: raw texts for the tokenizer trainer and packed token sequences for the trainer.</summary>
internal static class PretrainCorpus
{
    /// <summary>The "text" field of every JSONL row (blank lines skipped); other formats are refused with one line.</summary>
    public static List<string> ReadTexts(string path)
    {
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{path}: tokenizer training reads JSONL rows with a \"text\" field (*.jsonl)");
        }

        var texts = new List<string>();
        long line = 0;
        foreach (string raw in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(raw);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var t)
                    && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } s)
                {
                    texts.Add(s);
                }
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{path}:{line}: not a JSON object ({e.Message})", e);
            }
        }

        return texts;
    }

    /// <summary>
    /// Every row rendered (BOS + text + EOS; rows longer than <paramref name="context"/> split into windows) and packed
    /// next-fit into sequences of at most <paramref name="context"/> tokens, in file order.
    /// </summary>
    public static List<TrainingExample> ReadPacked(string path, TrainingRenderer renderer, int context)
    {
        var reader = new DatasetReader(path, renderer, new DatasetReaderOptions { MaxSequenceLength = context, SplitLongText = true });
        reader.Prepare();
        return new SequencePacker(context).Pack(reader.ReadEpoch(DatasetPosition.Start)).ToList();
    }
}
