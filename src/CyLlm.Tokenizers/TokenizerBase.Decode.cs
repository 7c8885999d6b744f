using System.Diagnostics;
using System.Text;

namespace CyLlm.Tokenizers;

public abstract partial class TokenizerBase
{
    public ReadOnlySpan<byte> PieceBytes(int id, bool renderSpecial = false)
    {
        CheckedId(id);
        Debug.Assert(_pieces[id] is not null, "subclasses call BuildPieces in their constructor");
        return _hidden[id] && !renderSpecial ? [] : _pieces[id];
    }

    public string DecodePiece(int id, bool renderSpecial = false) => Encoding.UTF8.GetString(PieceBytes(id, renderSpecial));

    public string Decode(IEnumerable<int> ids, bool skipSpecial = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            bytes.AddRange(PieceBytes(id, !skipSpecial));
        }

        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }
}
