using CyLlm.Jobs.PostgreSql;
using CyLlm.Jobs.Storage;
using Npgsql;

namespace CyLlm.Jobs.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the conformance suite runs against: <c>CYLLM_TEST_PG</c> or the server .ci/services.sh starts.
/// Every test gets its own schema (dropped afterwards). An unreachable server FAILS the tests with a clear message —
/// never a skip, so a CI run without PostgreSQL cannot pass silently.
/// </summary>
internal static class PostgresTestDatabase
{
    public const string DefaultConnectionString = "Host=127.0.0.1;Username=cyllm;Password=cyllm;Database=cyllm_test";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("CYLLM_TEST_PG") is { Length: > 0 } cs ? cs : DefaultConnectionString;

    public static string NewSchemaName() => "cyllm_t_" + Guid.NewGuid().ToString("N")[..20];

    // One probe per test run: when the server is down every test fails at once instead of each retrying its connection.
    private static readonly Lazy<Task<string?>> Probe = new(ProbeAsync);

    public static async Task<PostgreSqlJobStore> OpenAsync(string schema, TimeProvider time, TaskConsistencyChecker? checker = null)
    {
        if (await Probe.Value is { } problem)
        {
            throw Unreachable(problem, null);
        }

        try
        {
            return await PostgreSqlJobStore.OpenAsync(new PostgreSqlJobStoreOptions(ConnectionString) { SchemaName = schema, Time = time, Checker = checker });
        }
        catch (StoreUnavailableException e)
        {
            throw Unreachable(e.Message, e);
        }
    }

    private static async Task<string?> ProbeAsync()
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString) { Timeout = 5 };
            await using var c = new NpgsqlConnection(b.ToString());
            await c.OpenAsync();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private static InvalidOperationException Unreachable(string reason, Exception? inner)
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        return new InvalidOperationException(
            $"PostgreSQL conformance tests need a PostgreSQL server and cannot reach it ({reason}). "
            + "Run `bash .ci/services.sh` (installs and starts one) or set CYLLM_TEST_PG to a connection string."
            + (ci ? " CI=true: this is a test failure, never a skip." : ""), inner);
    }

    public static async Task ExecuteAsync(string schema, string sql)
    {
        var b = new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema };
        await using var c = new NpgsqlConnection(b.ToString());
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task DropSchemaAsync(string schema)
    {
        try
        {
            await ExecuteAsync(schema, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
        catch (NpgsqlException)
        {
            // The server is gone; the test already failed for that reason.
        }
    }
}
