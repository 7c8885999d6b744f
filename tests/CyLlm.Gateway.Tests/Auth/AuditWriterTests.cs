using CyLlm.Gateway.Audit;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>The audit writer never blocks a request: a full queue drops (and counts) rows; shutdown flushes the queue.</summary>
public sealed class AuditWriterTests
{
    private static AuditRecord Row(int i) => new(0, DateTimeOffset.UnixEpoch.AddSeconds(i), null, "sk-cy-test", "t", "/v1/models", "GET", 200, 1, 0, 0);

    [Fact]
    public async Task A_full_queue_drops_rows_instead_of_waiting_and_the_rest_are_written_once_the_store_recovers()
    {
        var (store, control) = BlockingAuditStore.Create();
        await using var writer = new AuditWriter(store, NullLogger<AuditWriter>.Instance);
        Assert.True(writer.TryEnqueue(Row(0)));
        await control.FirstCall.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the writer holds row 0 in a stalled batch
        for (int i = 1; i <= AuditWriter.Capacity; i++)
        {
            Assert.True(writer.TryEnqueue(Row(i)));
        }

        Assert.False(writer.TryEnqueue(Row(-1)));
        Assert.Equal(1, writer.Dropped);
        Assert.False(await writer.FlushAsync(TimeSpan.Zero));
        control.Release();
        Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(AuditWriter.Capacity + 1, control.Rows);
    }

    [Fact]
    public async Task Rows_still_queued_at_shutdown_are_written()
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-audit-").FullName;
        try
        {
            string prefix;
            await using (var s = await AuthServer.StartAsync(o => o with { DataDirectory = dir }))
            {
                var key = await s.IssueAsync(tenant: "acme");
                prefix = key.Record.Prefix;
                for (int i = 0; i < 25; i++)
                {
                    await s.SendAsync(HttpMethod.Get, "/v1/models", key.Secret);
                }
            }

            await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Path.Combine(dir, "cyllm.db")));
            var rows = await store.ListAuditAsync("acme");
            Assert.Equal(25, rows.Count);
            Assert.All(rows, r => Assert.Equal(("/v1/models", prefix), (r.Endpoint, r.KeyPrefix)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
