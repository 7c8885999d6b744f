namespace CyLlm.Tokenizers.Bpe;

/// <summary>
/// GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabularies: the bytes
/// '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for themselves, the other 68 bytes for U+0100 onwards in byte
/// order (so a space is 'Ġ' U+0120 and a newline 'Ċ' U+010A).
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildForward();        // [256]
    private static readonly short[] s_charToByte = BuildReverse();       // [0x144] byte, or −1

    private static char[] BuildForward()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }

        return map;
    }

    private static short[] BuildReverse()
    {
        var reverse = new short[256 + 68];
        Array.Fill(reverse, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            reverse[s_byteToChar[b]] = (short)b;
        }

        return reverse;
    }

    public static char ToChar(byte b) => s_byteToChar[b];

    public static bool TryToByte(char c, out byte b)
    {
        if (c < s_charToByte.Length && s_charToByte[c] >= 0)
        {
            b = (byte)s_charToByte[c];
            return true;
        }

        b = 0;
        return false;
    }

    /// <summary>The alphabet spelling of raw bytes (one char per byte).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (int i = 0; i < b.Length; i++)
            {
                chars[i] = s_byteToChar[b[i]];
            }
        });
}
