using System.Text;

namespace CyLlm.Tokenizers;

/// <summary>What both tokenizer algorithms share: vocabulary lookups, special tokens and decoding.</summary>
public abstract class TokenizerBase : ITokenizer
{
    private readonly byte[][] _pieces;        // raw bytes per id
    private readonly bool[] _control;
    private readonly (string Text, int Id)[] _specials; // longest first, for parse_special

    protected TokenizerBase(TokenizerData data)
    {
        Data = data;
        int n = data.Tokens.Count;
        if (n == 0)
        {
            throw new ArgumentException("the vocabulary is empty");
        }

        _pieces = new byte[n][];
        _control = new bool[n];
        var specials = new List<(string, int)>();
        for (int i = 0; i < n; i++)
        {
            int type = data.TokenTypes is { } t ? t[i] : 1;
            _control[i] = type == 3 || i == data.BosId || i == data.EosId;
            if (type is 3 or 4 && data.Tokens[i].Length > 0)
            {
                specials.Add((data.Tokens[i], i));
            }
        }

        _specials = specials.OrderByDescending(s => s.Item1.Length).ToArray();
        for (int i = 0; i < n; i++)
        {
            _pieces[i] = PieceToBytes(i, data.Tokens[i], data.TokenTypes is { } t ? t[i] : 1);
        }

        var eog = new List<int>();
        if (data.EosId >= 0)
        {
            eog.Add(data.EosId);
        }

        foreach (int id in data.EotIds)
        {
            if (!eog.Contains(id))
            {
                eog.Add(id);
            }
        }

        EndOfGenerationIds = eog;
    }

    protected TokenizerData Data { get; }

    public int VocabSize => _pieces.Length;

    public int BosId => Data.BosId;

    public int EosId => Data.EosId;

    public IReadOnlyList<int> EndOfGenerationIds { get; }

    public bool AddBosByDefault => Data.AddBos && Data.BosId >= 0;

    /// <summary>Bytes of a piece as the algorithm spells it (U+2581 spaces, byte tokens, GPT-2 alphabet).</summary>
    protected abstract byte[] PieceToBytes(int id, string piece, int type);

    /// <summary>Encodes a run of ordinary text (no special tokens inside).</summary>
    protected abstract void EncodeText(string text, bool atStart, List<int> output);

    public bool IsControl(int id) => (uint)id < (uint)_control.Length && _control[id];

    public int[] Encode(string text, bool addBos, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        if (addBos && Data.BosId >= 0)
        {
            output.Add(Data.BosId);
        }

        if (!parseSpecial || _specials.Length == 0)
        {
            if (text.Length > 0)
            {
                EncodeText(text, true, output);
            }
        }
        else
        {
            int start = 0;
            bool atStart = true;
            int i = 0;
            while (i < text.Length)
            {
                int match = MatchSpecial(text, i);
                if (match < 0)
                {
                    i++;
                    continue;
                }

                if (i > start)
                {
                    EncodeText(text[start..i], atStart, output);
                }

                output.Add(_specials[match].Id);
                atStart = false;
                i += _specials[match].Text.Length;
                start = i;
            }

            if (start < text.Length)
            {
                EncodeText(text[start..], atStart, output);
            }
        }

        if (Data.AddEos && Data.EosId >= 0 && addBos)
        {
            output.Add(Data.EosId);
        }

        return output.ToArray();
    }

    private int MatchSpecial(string text, int at)
    {
        for (int s = 0; s < _specials.Length; s++)
        {
            if (string.CompareOrdinal(text, at, _specials[s].Text, 0, _specials[s].Text.Length) == 0)
            {
                return s;
            }
        }

        return -1;
    }

    public byte[] PieceBytes(int id, bool renderSpecial = false)
    {
        if ((uint)id >= (uint)_pieces.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0..{_pieces.Length - 1})");
        }

        if (_control[id] && !renderSpecial)
        {
            return [];
        }

        return _pieces[id];
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecial = true)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            bytes.AddRange(PieceBytes(id, !skipSpecial));
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Looks a piece up by its exact text; −1 when absent.</summary>
    protected abstract int Lookup(string piece);
}
