using System.Buffers.Binary;
using System.Text;
using CyLlm.Tokenizers;

namespace CyLlm.Models.LlamaC;

/// <summary>
/// llama2.c tokenizer.bin: int32 max_token_length, then per token a float32 score, an int32 byte length
/// and the bytes. Pieces use an ASCII space; they are normalised to U+2581 as in GGUF vocabularies, byte
/// pieces "&lt;0xXX&gt;" are typed as bytes (6), and ids 0/1/2 are unk/bos/eos.
/// </summary>
public static class LlamaCTokenizerLoader
{
    public static TokenizerData Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        }

        var data = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        if (data.Length < 4)
        {
            throw new ModelFormatException($"{name}: too short for a llama2.c tokenizer");
        }

        int maxLen = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxLen <= 0 || maxLen > 1 << 16)
        {
            throw new ModelFormatException($"{name}: not a llama2.c tokenizer (max token length {maxLen})");
        }

        var tokens = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        int pos = 4;
        while (pos < data.Length)
        {
            if (pos + 8 > data.Length)
            {
                throw new ModelFormatException($"{name}: truncated at token {tokens.Count}");
            }

            float score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(pos));
            int len = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(pos + 4));
            pos += 8;
            if (len < 0 || len > maxLen * 4 || pos + len > data.Length)
            {
                throw new ModelFormatException($"{name}: token {tokens.Count} has an invalid length {len}");
            }

            string piece = Encoding.UTF8.GetString(data, pos, len);
            pos += len;
            int id = tokens.Count;
            int type = 1;
            if (id == 1)
            {
                piece = "<s>";
                type = 3;
            }
            else if (id == 2)
            {
                piece = "</s>";
                type = 3;
            }
            else if (id == 0)
            {
                type = 2;
            }
            else if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>')
            {
                type = 6;
            }
            else
            {
                piece = piece.Replace(' ', '\u2581');
            }

            tokens.Add(piece);
            scores.Add(score);
            types.Add(type);
        }

        if (tokens.Count < 3)
        {
            throw new ModelFormatException($"{name}: only {tokens.Count} tokens");
        }

        return new TokenizerData
        {
            Kind = TokenizerKind.SentencePiece,
            Tokens = tokens,
            Scores = scores,
            TokenTypes = types,
            BosId = 1,
            EosId = 2,
            UnkId = 0,
            AddBos = true,
            AddSpacePrefix = true,
        };
    }
}
