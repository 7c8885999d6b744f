using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Batches;

/// <summary>
/// A <see cref="FakeBackend"/> whose generations each need a permit (<see cref="Release"/>), so a test decides exactly how
/// many batch lines can be answered before it stops the server; embeddings return a fixed unit vector.
/// </summary>
public sealed class PermitBackend : IInferenceBackend
{
    private readonly FakeBackend _inner = new();
    private readonly SemaphoreSlim _permits;
    private readonly SerialGate _gate;
    private int _generated;

    public PermitBackend(int initialPermits = int.MaxValue / 2)
    {
        _permits = new SemaphoreSlim(initialPermits);
        _gate = new SerialGate(Generate);
    }

    /// <summary>Requests waiting for the one generation slot.</summary>
    public int Waiting => _gate.Waiting;

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken) => _gate.Start(request, cancellationToken);

    /// <summary>Generations that got a permit and ran.</summary>
    public int Generated => Volatile.Read(ref _generated);

    /// <summary>Generations that reached the engine (with or without a permit yet).</summary>
    public int Entered => Volatile.Read(ref _entered);

    private int _entered;

    public void Release(int count) => _permits.Release(count);

    public string ModelId => _inner.ModelId;

    public int ContextTokens => _inner.ContextTokens;

    public int VocabSize => _inner.VocabSize;

    public int[] Encode(string text, bool? addBos = null) => _inner.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _inner.Decode(ids);

    public byte[] PieceBytes(int id) => _inner.PieceBytes(id);

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => _inner.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => _inner.EncodeChat(messages);

    public float[] Embed(int[] tokens) => [1f, 0f, 0f, 0f];

    private GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _entered);
        try
        {
            _permits.Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return new GenerationResult(request.PromptTokens!.ToArray(), [], "", FinishReason.Cancelled, [], 0, 0, 0);
        }

        Interlocked.Increment(ref _generated);
        return _inner.Generate(request, onToken, cancellationToken);
    }

    /// <summary>Nothing to free; the semaphore stays usable for a generation still unwinding after the server stopped.</summary>
    public void Dispose()
    {
    }
}
