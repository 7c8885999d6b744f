using System.Globalization;

namespace CyLlm.Gateway.Configuration;

/// <summary>Parses one configuration string into a setting's type; durations accept "250ms", "30s", "5m", "1h",
/// a plain number of seconds (as the CLI flags take them) or "hh:mm:ss".</summary>
internal static class SettingParser
{
    public static bool IsSimple(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t == typeof(string) || t == typeof(bool) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(TimeSpan) || t.IsEnum;
    }

    /// <summary>The value, or null with <paramref name="expected"/> describing what was wanted.</summary>
    public static bool TryParse(Type type, string? text, out object? value, out string expected)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        value = null;
        expected = t.Name;
        if (text is null || (text.Length == 0 && t != typeof(string)))
        {
            // An empty value resets a nullable setting (e.g. CYLLM_Gateway__RateLimits__Redis=).
            return Nullable.GetUnderlyingType(type) is not null || !type.IsValueType;
        }

        var inv = CultureInfo.InvariantCulture;

        // Before the type-code switch: an enum's type code is its underlying integer's.
        if (t.IsEnum)
        {
            expected = "one of " + string.Join(", ", Enum.GetNames(t)).ToLowerInvariant();
            if (!char.IsAsciiDigit(text[0]) && text[0] != '-' && Enum.TryParse(t, text, ignoreCase: true, out var e) && Enum.IsDefined(t, e!))
            {
                value = e;
                return true;
            }

            return false;
        }

        switch (Type.GetTypeCode(t))
        {
            case TypeCode.String:
                value = text;
                return true;
            case TypeCode.Boolean:
                expected = "true or false";
                if (bool.TryParse(text, out bool b))
                {
                    value = b;
                    return true;
                }

                return false;
            case TypeCode.Int32:
                expected = "a whole number";
                if (int.TryParse(text, NumberStyles.Integer, inv, out int i))
                {
                    value = i;
                    return true;
                }

                return false;
            case TypeCode.Int64:
                expected = "a whole number";
                if (long.TryParse(text, NumberStyles.Integer, inv, out long l))
                {
                    value = l;
                    return true;
                }

                return false;
            case TypeCode.Double:
                expected = "a number";
                if (double.TryParse(text, NumberStyles.Float, inv, out double d) && double.IsFinite(d))
                {
                    value = d;
                    return true;
                }

                return false;
        }

        if (t == typeof(TimeSpan))
        {
            expected = "a duration such as 250ms, 30s, 5m, 1h or a number of seconds";
            if (TryDuration(text, out var span))
            {
                value = span;
                return true;
            }

            return false;
        }

        return false;
    }

    public static bool TryDuration(string text, out TimeSpan span)
    {
        var inv = CultureInfo.InvariantCulture;
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && !(suffix == "s" && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, inv, out double n) && double.IsFinite(n))
            {
                span = TimeSpan.FromSeconds(n * seconds);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, inv, out double plain) && double.IsFinite(plain))
        {
            span = TimeSpan.FromSeconds(plain);
            return true;
        }

        return TimeSpan.TryParse(text, inv, out span);
    }
}
