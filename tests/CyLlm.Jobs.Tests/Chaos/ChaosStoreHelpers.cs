using CyLlm.Jobs.Sqlite;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>What every chaos scenario with a database checks at its end.</summary>
internal static class ChaosStoreHelpers
{
    /// <summary>PRAGMA integrity_check is ok and a full scan finds no state-machine violation.</summary>
    public static async Task AssertSoundAsync(SqliteJobStore store)
    {
        Assert.Equal("ok", await store.IntegrityCheckAsync());
        var report = await store.Checker.ScanAsync(store);
        Assert.True(report.IsConsistent, string.Join("\n", report.Violations));
        Assert.Equal(0, store.Checker.ViolationCount);
    }
}
