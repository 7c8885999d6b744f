using System.Text;

namespace CyLlm.Models;

/// <summary>
/// Keeps <see cref="ModelFormatException"/> messages to one readable line even when they quote hostile file
/// content (a tensor name or token holding newlines, a megabyte-long key): control characters are escaped and
/// the message is clipped.
/// </summary>
internal static class FormatMessages
{
    private const int MaxLength = 400;

    public static string OneLine(string message)
    {
        bool clean = message.Length <= MaxLength;
        foreach (char ch in message)
        {
            if (char.IsControl(ch) || ch is '\u2028' or '\u2029')
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return message;
        }

        var sb = new StringBuilder(Math.Min(message.Length, MaxLength) + 8);
        foreach (char ch in message)
        {
            if (sb.Length >= MaxLength)
            {
                sb.Append('…');
                break;
            }

            switch (ch)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(ch) || ch is '\u2028' or '\u2029')
                    {
                        sb.Append("\\u").Append(((int)ch).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(ch);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Runs <paramref name="load"/>, re-raising any format error with a one-line message.</summary>
    public static T OneLine<T>(Func<T> load)
    {
        try
        {
            return load();
        }
        catch (ModelFormatException e)
        {
            string line = OneLine(e.Message);
            if (ReferenceEquals(line, e.Message))
            {
                throw;
            }

            throw new ModelFormatException(line, e);
        }
    }
}
