using System.Globalization;
using StackExchange.Redis;

namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// The Redis server of shared rate limits (<c>--redis</c>, <c>Gateway:RateLimits:Redis</c>) in any of three forms:
/// <c>HOST:PORT</c>; a StackExchange.Redis configuration string (<c>host:6380,user=app,password=…,ssl=true</c>); or a
/// URL <c>redis://[user[:password]@]host[:port][/db]</c>, <c>rediss://…</c> for TLS (percent-encoded user and
/// password; port 6379 by default). The password is a secret: <see cref="Redacted"/> is the only form that may be
/// logged or shown in an error, and no error built here contains it.
/// </summary>
public static class RedisAddress
{
    private const int DefaultPort = 6379;

    /// <summary>The connection settings of <paramref name="value"/>; throws <see cref="FormatException"/> (never
    /// quoting the password) when it is none of the accepted forms.</summary>
    public static ConfigurationOptions Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string v = value.Trim();
        if (v.Length == 0)
        {
            throw new FormatException("the Redis address is empty");
        }

        if (IsUrl(v, out bool tls))
        {
            return ParseUrl(v, tls);
        }

        if (!v.Contains(',', StringComparison.Ordinal) && !v.Contains('=', StringComparison.Ordinal) && !IsHostPort(v))
        {
            // A plain address keeps its strict form: a forgotten port is a typo more often than a wish for 6379.
            throw new FormatException($"'{v}' is not HOST:PORT, e.g. 127.0.0.1:6379");
        }

        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(v);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
        {
            // The library's message may quote the option text (and so the password): name the problem only.
            throw new FormatException($"not a StackExchange.Redis configuration string ({e.GetType().Name}): {Redacted(v)}");
        }

        if (config.EndPoints.Count == 0)
        {
            throw new FormatException($"no HOST:PORT in {Redacted(v)}");
        }

        return config;
    }

    /// <summary>
    /// <paramref name="value"/> with its password replaced by <c>***</c>, for logs and error messages: the URL's
    /// password part, or a configuration string's <c>password=</c> option. Anything that cannot be read as either is
    /// shown only as far as its first comma or at-sign.
    /// </summary>
    public static string Redacted(string? value)
    {
        if (value is null)
        {
            return "(none)";
        }

        string v = value.Trim();
        if (IsUrl(v, out _))
        {
            int scheme = v.IndexOf("://", StringComparison.Ordinal) + 3;
            int at = v.LastIndexOf('@');
            if (at < scheme)
            {
                return v;
            }

            string userInfo = v[scheme..at];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? v : v[..scheme] + userInfo[..colon] + ":***" + v[at..];
        }

        var parts = v.Split(',');
        for (int i = 0; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && parts[i][..eq].Trim().Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = parts[i][..(eq + 1)] + "***";
            }
        }

        return string.Join(',', parts);
    }

    private static bool IsHostPort(string s)
    {
        int colon = s.LastIndexOf(':');
        return colon > 0 && int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535;
    }

    private static bool IsUrl(string v, out bool tls)
    {
        tls = v.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase);
        return tls || v.StartsWith("redis://", StringComparison.OrdinalIgnoreCase);
    }

    private static ConfigurationOptions ParseUrl(string v, bool tls)
    {
        if (!Uri.TryCreate(v, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new FormatException($"not a redis:// or rediss:// URL with a host: {Redacted(v)}");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new FormatException($"query and fragment are not supported in a Redis URL (use a configuration string for more options): {Redacted(v)}");
        }

        var config = new ConfigurationOptions { Ssl = tls };
        if (tls)
        {
            config.SslHost = uri.IdnHost;
        }

        config.EndPoints.Add(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port);
        if (uri.UserInfo.Length > 0)
        {
            string[] userInfo = uri.UserInfo.Split(':', 2);
            string user = Uri.UnescapeDataString(userInfo[0]);
            config.User = user.Length > 0 ? user : null;
            config.Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null;
        }

        string path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            config.DefaultDatabase = int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out int db)
                ? db
                : throw new FormatException($"the path of a Redis URL is the database number (e.g. /0): {Redacted(v)}");
        }

        return config;
    }
}
