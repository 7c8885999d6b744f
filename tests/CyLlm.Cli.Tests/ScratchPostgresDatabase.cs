using Npgsql;

namespace CyLlm.Cli.Tests;

/// <summary>
/// A PostgreSQL database of its own on the server .ci/services.sh starts (<c>cyllm_t_files_…</c>, dropped on dispose):
/// replicas under test migrate it to this build's schema without touching the shared <c>cyllm_test</c> database, which
/// other branches' tests use at their own schema versions. Fails, never skips, without the server, like
/// <see cref="StoreOptionTests"/>.
/// </summary>
internal sealed class ScratchPostgresDatabase : IAsyncDisposable
{
    private const string Admin = "Host=127.0.0.1;Port=5432;Username=cyllm;Password=cyllm;Database=cyllm_test;Timeout=10";

    private ScratchPostgresDatabase(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>The <c>--store</c> URL of the database.</summary>
    public string Url => $"postgres://cyllm:cyllm@127.0.0.1:5432/{Name}";

    public string ConnectionString => $"Host=127.0.0.1;Port=5432;Username=cyllm;Password=cyllm;Database={Name}";

    public static async Task<ScratchPostgresDatabase> CreateAsync()
    {
        string name = "cyllm_t_files_" + Guid.NewGuid().ToString("N")[..16];
        try
        {
            await using var c = new NpgsqlConnection(Admin);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL from .ci/services.sh must be running (127.0.0.1:5432, user cyllm): {e.Message}", e);
        }

        return new ScratchPostgresDatabase(name);
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] args)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (n, v) in args)
        {
            cmd.Parameters.AddWithValue(n, v);
        }

        object? r = await cmd.ExecuteScalarAsync();
        return r is null or DBNull ? default : (T)r;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(Admin);
        await c.OpenAsync();
        // FORCE: a killed replica's server-side sessions may linger until PostgreSQL notices the dead sockets.
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }
}
