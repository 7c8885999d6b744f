using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>C/Python strftime for the directives chat templates use (C locale names; "%-d" drops padding as glibc does).</summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset t, string format)
    {
        var sb = new StringBuilder(format.Length + 16);
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }

            bool noPad = format[i + 1] == '-' && i + 2 < format.Length;
            char d = format[noPad ? i + 2 : i + 1];
            string? text = Directive(t, d, noPad);
            if (text is null)
            {
                // Unknown directives are copied through.
                sb.Append(c);
                continue;
            }

            sb.Append(text);
            i += noPad ? 2 : 1;
        }

        return sb.ToString();
    }

    private static string? Directive(DateTimeOffset t, char d, bool noPad)
    {
        var inv = CultureInfo.InvariantCulture;
        string Num(int v, int width) => noPad ? v.ToString(inv) : v.ToString(new string('0', width), inv);
        int hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return d switch
        {
            'Y' => t.Year.ToString(inv),
            'y' => Num(t.Year % 100, 2),
            'm' => Num(t.Month, 2),
            'd' => Num(t.Day, 2),
            'e' => noPad ? t.Day.ToString(inv) : t.Day.ToString(inv).PadLeft(2),
            'H' => Num(t.Hour, 2),
            'I' => Num(hour12, 2),
            'M' => Num(t.Minute, 2),
            'S' => Num(t.Second, 2),
            'j' => Num(t.DayOfYear, 3),
            'p' => t.Hour < 12 ? "AM" : "PM",
            'a' => t.ToString("ddd", inv),
            'A' => t.ToString("dddd", inv),
            'b' or 'h' => t.ToString("MMM", inv),
            'B' => t.ToString("MMMM", inv),
            'w' => ((int)t.DayOfWeek).ToString(inv),
            'u' => (t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek).ToString(inv),
            'z' => (t.Offset < TimeSpan.Zero ? "-" : "+") + t.Offset.Duration().ToString("hhmm", inv),
            'F' => t.ToString("yyyy-MM-dd", inv),
            'T' => t.ToString("HH:mm:ss", inv),
            'D' => t.ToString("MM/dd/yy", inv),
            'c' => t.ToString("ddd MMM ", inv) + t.Day.ToString(inv).PadLeft(2) + t.ToString(" HH:mm:ss yyyy", inv),
            'x' => t.ToString("MM/dd/yy", inv),
            'X' => t.ToString("HH:mm:ss", inv),
            '%' => "%",
            _ => null,
        };
    }
}
