using System.CommandLine;
using Npgsql;

namespace CyLlm.Cli.Commands;

/// <summary>
/// Where the state lives, as <c>--store</c> (or <c>CYLLM_STORE</c>) names it: a SQLite file (the default,
/// DATA_DIR/cyllm.db) or PostgreSQL, given as a URL <c>postgres://USER:PASS@HOST:PORT/DB?sslmode=require</c> (what
/// Kubernetes secrets and Heroku-style DATABASE_URLs hold) or as an Npgsql connection string
/// (<c>Host=…;Username=…</c>). Exactly one of <see cref="SqlitePath"/> and <see cref="PostgresConnectionString"/> is set.
/// </summary>
internal sealed record StoreLocation(string? SqlitePath, string? PostgresConnectionString)
{
    public const string EnvironmentVariable = "CYLLM_STORE";

    public bool IsPostgres => PostgresConnectionString is not null;

    /// <summary>What a log line may show: PostgreSQL without its password.</summary>
    public string Display => PostgresConnectionString is { } cs
        ? new NpgsqlConnectionStringBuilder(cs) { Password = null }.ToString()
        : SqlitePath!;

    public static Option<string?> Option() => new("--store")
    {
        Description = "state store: a SQLite file (default DATA_DIR/cyllm.db) or PostgreSQL as postgres://USER:PASS@HOST:PORT/DB or an Npgsql connection string (env CYLLM_STORE)",
    };

    /// <summary>The store <paramref name="value"/> (else CYLLM_STORE) names, else the SQLite file of <paramref name="dataDirectory"/>.</summary>
    /// <exception cref="ArgumentException">A PostgreSQL URL or connection string that does not parse (one line, password never shown).</exception>
    public static StoreLocation Resolve(string? value, string dataDirectory)
    {
        string? v = string.IsNullOrWhiteSpace(value) ? Environment.GetEnvironmentVariable(EnvironmentVariable) : value;
        if (string.IsNullOrWhiteSpace(v))
        {
            return new StoreLocation(DataDirectory.Database(dataDirectory), null);
        }

        v = v.Trim();
        if (v.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new StoreLocation(null, FromUrl(v));
        }

        if (v.Contains('=', StringComparison.Ordinal) && v.Contains(';', StringComparison.Ordinal) || v.StartsWith("Host=", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var b = new NpgsqlConnectionStringBuilder(v);
                return string.IsNullOrEmpty(b.Host)
                    ? throw new ArgumentException("--store: the PostgreSQL connection string has no Host")
                    : new StoreLocation(null, b.ConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
            {
                throw new ArgumentException($"--store: not a valid Npgsql connection string ({e.GetType().Name}; the value is not shown, it may hold a password)");
            }
        }

        return new StoreLocation(Path.GetFullPath(v), null);
    }

    /// <summary><c>postgres://user:pass@host:port/db?key=value</c> as an Npgsql connection string (user and password URL-decoded).</summary>
    private static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("--store: not a valid postgres:// URL (expected postgres://USER:PASS@HOST:PORT/DB)");
        }

        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0)
        {
            b.Port = uri.Port;
        }

        string[] userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            b.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            b.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        string db = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (db.Length > 0)
        {
            b.Database = db;
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            try
            {
                // libpq's sslmode and the like map onto Npgsql's keywords of the same names.
                b[key] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
            }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException or FormatException)
            {
                throw new ArgumentException($"--store: the URL parameter '{key}' is not a PostgreSQL connection setting");
            }
        }

        return b.ConnectionString;
    }
}
