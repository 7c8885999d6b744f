using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Python number semantics: float repr, floor division and modulo, checked integer power.</summary>
internal static class PyNumber
{
    /// <summary>Python's repr(float): shortest round-trip digits, exponent form below 1e-4 or from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        var (negative, digits, decpt) = Decompose(d);
        var sb = new StringBuilder(digits.Length + 8);
        if (negative)
        {
            sb.Append('-');
        }

        if (decpt > 16 || decpt <= -4)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            int exp = decpt - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decpt <= 0)
        {
            sb.Append("0.").Append('0', -decpt).Append(digits);
        }
        else if (decpt >= digits.Length)
        {
            sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        }

        return sb.ToString();
    }

    /// <summary>Shortest round-trip significant digits (no leading/trailing zeros) and the decimal point position: |d| = 0.DIGITS × 10^decpt.</summary>
    private static (bool Negative, string Digits, int Decpt) Decompose(double d)
    {
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        if (negative)
        {
            r = r[1..];
        }

        int exp = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exp = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string intPart = dot < 0 ? r : r[..dot];
        string all = dot < 0 ? r : intPart + r[(dot + 1)..];
        int decpt = intPart.Length + exp;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0')
        {
            lead++;
        }

        all = all[lead..];
        decpt -= lead;
        return (negative, all.TrimEnd('0') is { Length: > 0 } t ? t : "0", decpt);
    }

    public static long FloorDiv(long a, long b)
    {
        if (b == 0)
        {
            throw new TemplateError("integer division or modulo by zero");
        }

        long q = checked(a / b);
        if ((a % b != 0) && ((a < 0) != (b < 0)))
        {
            q--;
        }

        return q;
    }

    public static long Mod(long a, long b)
    {
        if (b == 0)
        {
            throw new TemplateError("integer division or modulo by zero");
        }

        if (b == -1)
        {
            return 0;
        }

        long r = a % b;
        return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
    }

    public static double Mod(double a, double b)
    {
        if (b == 0)
        {
            throw new TemplateError("float modulo");
        }

        double r = a % b;
        return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
    }

    /// <summary>a ** b for integers with b ≥ 0, failing on 64-bit overflow.</summary>
    public static long Pow(long a, long b)
    {
        long result = 1;
        long x = a;
        long n = b;
        checked
        {
            while (n > 0)
            {
                if ((n & 1) != 0)
                {
                    result *= x;
                }

                n >>= 1;
                if (n > 0)
                {
                    x *= x;
                }
            }
        }

        return result;
    }
}
