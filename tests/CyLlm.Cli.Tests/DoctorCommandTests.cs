namespace CyLlm.Cli.Tests;

public sealed class DoctorCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-doctor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Doctor_reports_an_unmigrated_database_with_the_fix_then_passes_after_migrate()
    {
        var before = CliProcess.Run("doctor", "--data-dir", _dir, "--min-free-mb", "1");
        Assert.Equal(1, before.ExitCode);
        Assert.Contains("FAIL schema_version", before.StdOut);
        Assert.Contains("cyllm migrate", before.StdOut);

        var migrate = CliProcess.Run("migrate", "--data-dir", _dir);
        Assert.True(migrate.ExitCode == 0, migrate.StdErr);

        var after = CliProcess.Run("doctor", "--data-dir", _dir, "--min-free-mb", "1");
        Assert.True(after.ExitCode == 0, after.StdOut + after.StdErr);
        Assert.Contains("0 failed", after.StdOut);
        Assert.Contains("journal_mode is wal", after.StdOut);
    }
}
