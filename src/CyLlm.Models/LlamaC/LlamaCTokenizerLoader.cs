using System.Buffers.Binary;
using System.Text;
using CyLlm.Tokenizers;

namespace CyLlm.Models.LlamaC;

/// <summary>
/// llama2.c tokenizer.bin: int32 max_token_length, then per token a float32 score, an int32 byte length and
/// the bytes, up to the end of the file. The result is the GGUF-style SentencePiece vocabulary llama.cpp's
/// converter would write: pieces use U+2581 for the space (llama2.c's exporter had turned it into an ASCII
/// space), "&lt;0xXX&gt;" pieces are byte tokens (type 6), id 0 is &lt;unk&gt; (type 2), and ids 1/2 are
/// BOS/EOS (type 3) spelled "&lt;s&gt;"/"&lt;/s&gt;" (the exporter wraps them in newlines: "\n&lt;s&gt;\n").
/// </summary>
public static class LlamaCTokenizerLoader
{
    // A 4M-token vocabulary of 64-byte pieces is ~300 MB; anything bigger is not a tokenizer.bin.
    private const long MaxFileBytes = 1L << 28;

    public static TokenizerData Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        }

        string name = Path.GetFileName(path);
        if (info.Length > MaxFileBytes)
        {
            throw new ModelFormatException($"{name}: {info.Length} bytes is too large for a llama2.c tokenizer.bin");
        }

        return Parse(File.ReadAllBytes(path), name);
    }

    /// <summary>Parses the bytes of a tokenizer.bin; <paramref name="name"/> prefixes error messages.</summary>
    public static TokenizerData Parse(ReadOnlySpan<byte> data, string name)
    {
        if (data.Length < 4)
        {
            throw new ModelFormatException($"{name}: {data.Length} bytes is too short for a llama2.c tokenizer");
        }

        int maxLen = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxLen <= 0 || maxLen > 1 << 16)
        {
            throw new ModelFormatException($"{name}: not a llama2.c tokenizer (max token length {maxLen})");
        }

        // Each token takes at least 8 bytes, which bounds the list before it grows.
        var tokens = new List<string>(Math.Min((data.Length - 4) / 8, 1 << 20));
        var scores = new List<float>(tokens.Capacity);
        var types = new List<int>(tokens.Capacity);
        int pos = 4;
        while (pos < data.Length)
        {
            int id = tokens.Count;
            if (data.Length - pos < 8)
            {
                throw new ModelFormatException($"{name}: truncated at token {id} (offset {pos})");
            }

            float score = BinaryPrimitives.ReadSingleLittleEndian(data[pos..]);
            int len = BinaryPrimitives.ReadInt32LittleEndian(data[(pos + 4)..]);
            pos += 8;
            if (len < 0 || len > maxLen || len > data.Length - pos)
            {
                throw new ModelFormatException($"{name}: token {id} at offset {pos - 8} has length {len} (max token length {maxLen}, {data.Length - pos} bytes left)");
            }

            if (!float.IsFinite(score))
            {
                throw new ModelFormatException($"{name}: token {id} has a non-finite score");
            }

            string piece = Encoding.UTF8.GetString(data.Slice(pos, len));
            pos += len;
            int type = 1;
            switch (id)
            {
                case 0:
                    type = 2;
                    break;
                case 1:
                    piece = "<s>";
                    type = 3;
                    break;
                case 2:
                    piece = "</s>";
                    type = 3;
                    break;
                default:
                    if (IsBytePiece(piece))
                    {
                        type = 6;
                    }
                    else
                    {
                        piece = piece.Replace(' ', '\u2581');
                    }

                    break;
            }

            tokens.Add(piece);
            scores.Add(score);
            types.Add(type);
        }

        if (tokens.Count < 3)
        {
            throw new ModelFormatException($"{name}: only {tokens.Count} tokens (unk, bos and eos are needed)");
        }

        return new TokenizerData
        {
            Kind = TokenizerKind.SentencePiece,
            Tokens = tokens.ToArray(),
            Scores = scores.ToArray(),
            TokenTypes = types.ToArray(),
            BosId = 1,
            EosId = 2,
            UnkId = 0,
            AddBos = true,
            AddSpacePrefix = true,
        };
    }

    /// <summary>"&lt;0xAB&gt;" with two hex digits: SentencePiece's byte-fallback piece.</summary>
    internal static bool IsBytePiece(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && char.IsAsciiHexDigit(piece[3]) && char.IsAsciiHexDigit(piece[4]);
}
