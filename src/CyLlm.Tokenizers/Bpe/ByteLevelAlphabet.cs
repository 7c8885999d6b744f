namespace CyLlm.Tokenizers.Bpe;

/// <summary>GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabularies.</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = Build(out s_charToByte);
    private static readonly Dictionary<char, byte> s_charToByte;

    private static char[] Build(out Dictionary<char, byte> reverse)
    {
        var map = new char[256];
        reverse = new Dictionary<char, byte>(256);
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
            reverse[map[b]] = (byte)b;
        }

        return map;
    }

    public static char ToChar(byte b) => s_byteToChar[b];

    public static bool TryToByte(char c, out byte b) => s_charToByte.TryGetValue(c, out b);
}
