using System.Buffers.Binary;
using CyLlm.Models.Gguf;
using CyLlm.Models.LlamaC;
using CyLlm.Tokenizers;

namespace CyLlm.Models;

/// <summary>Opens any supported model file, detecting the format from its content.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>: a GGUF file, a llama2.c checkpoint, or a Hugging Face folder (or its
    /// config.json). A separate <paramref name="tokenizerPath"/> replaces the file's own tokenizer and must
    /// match the model's vocabulary size.
    /// </summary>
    public static LoadedModel Load(string path, string? tokenizerPath = null, IProgress<double>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LoadedModel model;
        if (Directory.Exists(path) || Path.GetFileName(path) is "config.json")
        {
            model = Safetensors.HfModelLoader.Load(Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        else
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"model file not found: {path}", path);
            }

            Span<byte> head = stackalloc byte[32];
            int n;
            using (var f = File.OpenRead(path))
            {
                n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }

            head = head[..n];
            if (n >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0x46554747)
            {
                model = GgufModelLoader.Load(path);
            }
            else if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                model = Safetensors.HfModelLoader.Load(Path.GetDirectoryName(Path.GetFullPath(path))!);
            }
            else if (LlamaCModelLoader.LooksLikeCheckpoint(head))
            {
                model = LlamaCModelLoader.Load(path);
            }
            else
            {
                throw new ModelFormatException($"{Path.GetFileName(path)}: unrecognised model format (expected GGUF, a llama2.c checkpoint or a Hugging Face folder)");
            }
        }

        progress?.Report(1.0);
        if (tokenizerPath is null)
        {
            return model;
        }

        try
        {
            var tok = LoadTokenizer(tokenizerPath);
            if (tok.Tokens.Count != model.Config.VocabSize)
            {
                throw new ModelFormatException($"tokenizer {Path.GetFileName(tokenizerPath)} has {tok.Tokens.Count} tokens but the model's vocabulary has {model.Config.VocabSize}: they do not belong together");
            }

            return model.WithTokenizer(tok);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads a standalone tokenizer: llama2.c tokenizer.bin, Hugging Face tokenizer.json, or a GGUF's.</summary>
    public static TokenizerData LoadTokenizer(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        }

        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return Safetensors.HfTokenizerLoader.Load(Path.GetDirectoryName(Path.GetFullPath(path))!, path);
        }

        Span<byte> head = stackalloc byte[4];
        using (var f = File.OpenRead(path))
        {
            f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(head) == 0x46554747)
        {
            using var m = GgufModelLoader.Load(path);
            return m.Tokenizer ?? throw new ModelFormatException($"{Path.GetFileName(path)} holds no tokenizer");
        }

        return LlamaCTokenizerLoader.Load(path);
    }
}
