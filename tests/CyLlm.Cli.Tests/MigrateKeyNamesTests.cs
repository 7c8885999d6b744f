using Microsoft.Data.Sqlite;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm migrate` upgrades a schema-version-1 database (no api_keys.name column) and keeps its keys, unnamed.</summary>
public sealed class MigrateKeyNamesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-migrate-names-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Migrate_upgrades_a_version_1_database_and_its_keys_list_without_names()
    {
        var create = CliProcess.Run("keys", "create", "--data-dir", _dir, "--tenant", "acme");
        Assert.True(create.ExitCode == 0, create.StdErr);
        string prefix = create.StdOut.Trim()[..14];

        // Turn the database back into what schema version 1 had (no key names, and none of the later tables).
        using (var c = new SqliteConnection($"Data Source={Path.Combine(_dir, "cyllm.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "ALTER TABLE api_keys DROP COLUMN name; DROP TABLE blob_chunks; DROP TABLE blobs; DELETE FROM schema_migrations WHERE version >= 2;";
            cmd.ExecuteNonQuery();
        }

        var doctor = CliProcess.Run("doctor", "--data-dir", _dir, "--min-free-mb", "1");
        Assert.Equal(1, doctor.ExitCode);
        Assert.Contains("FAIL schema_version", doctor.StdOut);

        var migrate = CliProcess.Run("migrate", "--data-dir", _dir);
        Assert.True(migrate.ExitCode == 0, migrate.StdErr);
        Assert.Contains("2 migration(s) applied", migrate.StdOut);
        Assert.Contains("0 migration(s) applied", CliProcess.Run("migrate", "--data-dir", _dir).StdOut);

        var list = CliProcess.Run("keys", "list", "--data-dir", _dir);
        Assert.True(list.ExitCode == 0, list.StdErr);
        string row = list.StdOut.Split('\n').Single(l => l.Contains(prefix, StringComparison.Ordinal));
        Assert.Equal("-", row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
