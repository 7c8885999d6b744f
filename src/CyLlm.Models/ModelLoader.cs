using System.Buffers.Binary;
using CyLlm.Models.Gguf;
using CyLlm.Models.LlamaC;
using CyLlm.Models.Safetensors;
using CyLlm.Tokenizers;

namespace CyLlm.Models;

/// <summary>Opens any supported model or tokenizer file, detecting the format from its content.</summary>
public static class ModelLoader
{
    // Magics of the pre-GGUF ggml formats (little-endian uint32 of "ggml", "ggmf", "ggjt"), named in the error.
    private const uint GgmlMagic = 0x67676d6c;
    private const uint GgmfMagic = 0x67676d66;
    private const uint GgjtMagic = 0x67676a74;

    /// <summary>
    /// Loads <paramref name="path"/>: a GGUF file, a llama2.c checkpoint, or a Hugging Face folder (or its
    /// config.json, index or a .safetensors file in it). A separate <paramref name="tokenizerPath"/> replaces the
    /// file's own tokenizer and must match the model's vocabulary size. Weights are memory-mapped, so loading
    /// costs the time to parse headers; <paramref name="progress"/> hears 0 at the start and 1 when done.
    /// </summary>
    /// <exception cref="FileNotFoundException">a path does not exist.</exception>
    /// <exception cref="ModelFormatException">a file is not a usable model or tokenizer (one-line message).</exception>
    public static LoadedModel Load(string path, string? tokenizerPath = null, IProgress<double>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        progress?.Report(0.0);
        var model = FormatMessages.OneLine(() => Open(path, loadTokenizer: tokenizerPath is null));
        if (tokenizerPath is not null)
        {
            try
            {
                var tok = FormatMessages.OneLine(() => LoadTokenizer(tokenizerPath, model.Config.VocabSize));
                if (tok.Tokens.Count != model.Config.VocabSize)
                {
                    throw new ModelFormatException($"tokenizer {Path.GetFileName(tokenizerPath)} has {tok.Tokens.Count} tokens but the model's vocabulary has {model.Config.VocabSize}: they do not belong together");
                }

                model = model.WithTokenizer(tok);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        progress?.Report(1.0);
        return model;
    }

    /// <summary>
    /// Loads a standalone tokenizer: llama2.c tokenizer.bin, Hugging Face tokenizer.json (or a folder holding
    /// one), or the tokenizer embedded in a GGUF file.
    /// </summary>
    public static TokenizerData LoadTokenizer(string path) => FormatMessages.OneLine(() => LoadTokenizer(path, 0));

    private static TokenizerData LoadTokenizer(string path, int modelVocab)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "tokenizer.json");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        }

        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            // Pads to the model's vocabulary (embedding rows beyond the tokenizer), as llama.cpp's converter does.
            return HfTokenizerLoader.Load(path, modelVocab);
        }

        if (path.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelFormatException($"{Path.GetFileName(path)}: SentencePiece .model files are not supported; use the model's tokenizer.json, a GGUF or a llama2.c tokenizer.bin");
        }

        if (ReadMagic(path) == GgufReader.Magic)
        {
            return GgufModelLoader.LoadTokenizer(path) ?? throw new ModelFormatException($"{Path.GetFileName(path)} holds no tokenizer");
        }

        return LlamaCTokenizerLoader.Load(path);
    }

    private static LoadedModel Open(string path, bool loadTokenizer)
    {
        if (Directory.Exists(path))
        {
            return HfModelLoader.Load(path, loadTokenizer);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {path}", path);
        }

        string name = Path.GetFileName(path);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (MappedFile.Target(path).Length == 0)
        {
            throw new ModelFormatException($"{name}: the file is empty");
        }

        if (name is "config.json" or "model.safetensors.index.json" || name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return HfModelLoader.Load(folder, loadTokenizer);
        }

        Span<byte> head = stackalloc byte[32];
        int n;
        using (var f = File.OpenRead(path))
        {
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        head = head[..n];
        uint magic = n >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(head) : 0;
        if (magic == GgufReader.Magic)
        {
            return GgufModelLoader.Load(path);
        }

        if (magic is GgmlMagic or GgmfMagic or GgjtMagic)
        {
            throw new ModelFormatException($"{name}: a pre-GGUF ggml/ggjt file; convert it to GGUF with llama.cpp");
        }

        if (LooksLikeSafetensors(head))
        {
            return HfModelLoader.Load(folder, loadTokenizer);
        }

        if (LlamaCModelLoader.LooksLikeCheckpoint(head))
        {
            return LlamaCModelLoader.Load(path);
        }

        throw new ModelFormatException($"{name}: unrecognised model format (expected GGUF, a llama2.c checkpoint or a Hugging Face folder)");
    }

    /// <summary>A plausible header length followed by the '{' of the JSON header.</summary>
    private static bool LooksLikeSafetensors(ReadOnlySpan<byte> head) =>
        head.Length >= 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) is > 1 and <= SafetensorsFile.MaxHeaderBytes;

    private static uint ReadMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var f = File.OpenRead(path);
        return f.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(head) : 0;
    }
}
