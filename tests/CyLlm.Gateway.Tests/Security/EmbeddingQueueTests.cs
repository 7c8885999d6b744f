using System.Net;
using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>
/// Embeddings no longer run synchronously on request threads under the engine's lock with no bound (security issue):
/// they wait in the model's embedding queue — bounded by --max-queue (503 at once beyond), left by a client that goes
/// away, limited in total input tokens (400) — and nothing blocks a request thread while they wait.
/// </summary>
public sealed class EmbeddingQueueTests
{
    /// <summary>A backend whose embeddings block until released, counting how many ran.</summary>
    private sealed class HeldEmbeddings(FakeBackend inner) : IInferenceBackend
    {
        public readonly SemaphoreSlim Release = new(0);
        public readonly SemaphoreSlim Entered = new(0);
        public int Runs;

        public string ModelId => inner.ModelId;

        public int ContextTokens => inner.ContextTokens;

        public int VocabSize => inner.VocabSize;

        public int[] Encode(string text, bool? addBos = null) => inner.Encode(text, addBos);

        public string Decode(IReadOnlyList<int> ids) => inner.Decode(ids);

        public byte[] PieceBytes(int id) => inner.PieceBytes(id);

        public string RenderChat(IReadOnlyList<ChatMessage> messages) => inner.RenderChat(messages);

        public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => inner.EncodeChat(messages);

        public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken) => inner.Start(request, cancellationToken);

        public float[] Embed(int[] tokens)
        {
            Interlocked.Increment(ref Runs);
            Entered.Release();
            Release.Wait(TimeSpan.FromSeconds(30));
            return [1f, 0f];
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task Embeddings_wait_in_a_bounded_queue_that_a_departing_client_leaves()
    {
        var backend = new HeldEmbeddings(new FakeBackend());
        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => backend, MaxQueue = 2 });
        const string body = """{"model":"fake","input":"Once upon a time"}""";

        var running = server.PostJsonAsync("/v1/embeddings", body);
        Assert.True(await backend.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the first embedding never started");

        // Two may wait; a departing one leaves the queue without ever running.
        using var leaving = new CancellationTokenSource();
        var gone = server.PostJsonAsync("/v1/embeddings", body, leaving.Token);
        var waiting = server.PostJsonAsync("/v1/embeddings", body);
        var gate = EmbeddingGate.For(backend);
        for (int i = 0; i < 3000 && gate.Waiting < 2; i++)
        {
            await Task.Yield();
            await Task.Delay(1);
        }

        Assert.Equal(2, gate.Waiting);
        using (var refused = await server.PostJsonAsync("/v1/embeddings", body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("server_overloaded", await refused.Content.ReadAsStringAsync());
        }

        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        for (int i = 0; i < 3000 && gate.Waiting > 1; i++)
        {
            await Task.Delay(1);
        }

        Assert.Equal(1, gate.Waiting);
        backend.Release.Release(10);
        using (var first = await running)
        using (var second = await waiting)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        Assert.Equal(2, backend.Runs); // the departed request never ran
    }

    [Fact]
    public async Task Too_many_input_tokens_in_one_request_are_a_400_before_anything_runs()
    {
        var backend = new HeldEmbeddings(new FakeBackend());
        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => backend, MaxEmbeddingTokens = 8 });
        string inputs = string.Join(",", Enumerable.Repeat("\"Once upon a time there was\"", 4));
        using var r = await server.PostJsonAsync("/v1/embeddings", $$"""{"model":"fake","input":[{{inputs}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("MaxEmbeddingTokens", await r.Content.ReadAsStringAsync());
        Assert.Equal(0, backend.Runs);
    }
}
