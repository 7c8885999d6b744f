using System.Globalization;

namespace CyLlm.Gateway.Auth;

/// <summary>Parses the short durations of <c>--expires-in 30d</c>, <c>--grace 24h</c> and the admin API: a
/// positive integer with one unit s, m, h, d or w.</summary>
public static class DurationText
{
    /// <summary>Longest accepted duration (10 years), so expiries never overflow <see cref="DateTimeOffset"/>.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2)
        {
            return false;
        }

        string t = text.Trim();
        if (!long.TryParse(t.AsSpan(0, t.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0 || n > 1_000_000_000)
        {
            return false;
        }

        double seconds = char.ToLowerInvariant(t[^1]) switch
        {
            's' => n,
            'm' => n * 60d,
            'h' => n * 3600d,
            'd' => n * 86400d,
            'w' => n * 604800d,
            _ => -1,
        };
        if (seconds <= 0 || seconds > Max.TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Parses or throws <see cref="ArgumentException"/> naming <paramref name="what"/> and the accepted form.</summary>
    public static TimeSpan Parse(string? text, string what) => TryParse(text, out var v) ? v
        : throw new ArgumentException($"{what} must be a positive number with a unit s, m, h, d or w, at most 3650d (e.g. 30d, 24h); got '{text}'");
}
