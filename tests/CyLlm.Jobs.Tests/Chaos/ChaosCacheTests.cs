using CyLlm.Jobs.Caching;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 5: the response cache survives a restart and never leaks across databases.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosCacheTests
{
    [Fact]
    public async Task Cache_entries_survive_a_process_restart_and_stay_in_their_own_database()
    {
        using var dir = new TempDir();
        string dbA = dir.File("a.db"), dbB = dir.File("b.db");
        string key = ResponseCache.ComputeKey("stories260K", null, "{\"temperature\":0,\"max_tokens\":8}", "Once upon a time");
        await Evidence.GuardAsync("chaos-cache", () => null, () => null, async () =>
        {
            using (var put = WorkerProcess.Start("cache-put", dbA, key, "there was a cat"))
            {
                Assert.Equal(0, await put.WaitForExitAsync());
            }

            using (var put = WorkerProcess.Start("cache-put", dbB, key, "database b answer"))
            {
                Assert.Equal(0, await put.WaitForExitAsync());
            }

            // New processes (a restart) read each database's own answer.
            using (var get = WorkerProcess.Start("cache-get", dbA, key))
            {
                Assert.Equal(0, await get.WaitForExitAsync());
                Assert.Contains("hit there was a cat", get.Lines);
            }

            using (var get = WorkerProcess.Start("cache-get", dir.File("c.db"), key))
            {
                Assert.Equal(0, await get.WaitForExitAsync());
                Assert.Contains("miss", get.Lines);
            }

            await using var b = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(dbB));
            Assert.Equal("database b answer"u8.ToArray(), await new ResponseCache(b).TryGetAsync(key));
            Assert.Equal(1, (await b.GetResponseCacheStatsAsync()).Entries);
            await ChaosStoreHelpers.AssertSoundAsync(b);
        });
    }
}
