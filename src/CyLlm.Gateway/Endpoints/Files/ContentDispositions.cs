using System.Text;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>
/// The RFC 6266 <c>Content-Disposition</c> of a file download. Header values must be visible ASCII (Kestrel throws on
/// anything else, which made downloading "résumé.jsonl" a 500), so the stored name travels twice: as
/// <c>filename="…"</c>, an ASCII fallback for old clients with every character outside printable ASCII, quotes and
/// backslashes replaced by '_', and as <c>filename*=UTF-8''…</c> (RFC 8187), the exact name percent-encoded, which
/// current browsers and HTTP libraries prefer. Control characters (CR, LF) can never reach the header either way.
/// </summary>
public static class ContentDispositions
{
    public static string Attachment(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var header = new StringBuilder("attachment; filename=\"", 32 + (fileName.Length * 4));
        foreach (char c in fileName)
        {
            header.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '_');
        }

        header.Append("\"; filename*=UTF-8''");
        foreach (byte b in Encoding.UTF8.GetBytes(fileName))
        {
            if (IsAttrChar(b))
            {
                header.Append((char)b);
            }
            else
            {
                header.Append('%').Append(Convert.ToHexString([b]));
            }
        }

        return header.ToString();
    }

    /// <summary>RFC 8187 attr-char: the bytes a filename* value may carry unencoded.</summary>
    private static bool IsAttrChar(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'&' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
