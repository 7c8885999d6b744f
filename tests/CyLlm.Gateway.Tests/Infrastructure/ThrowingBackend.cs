using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>A backend whose generation fails with an unexpected exception (the 500 path).</summary>
public sealed class ThrowingBackend : IDisposable, CyLlm.Gateway.Hosting.IInferenceBackend
{
    private readonly FakeBackend _inner = new();

    public string ModelId => "fake";

    public int ContextTokens => _inner.ContextTokens;

    public int VocabSize => _inner.VocabSize;

    public int[] Encode(string text, bool? addBos = null) => _inner.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _inner.Decode(ids);

    public byte[] PieceBytes(int id) => _inner.PieceBytes(id);

    public string RenderChat(IReadOnlyList<CyLlm.ChatTemplates.ChatMessage> messages) => _inner.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<CyLlm.ChatTemplates.ChatMessage> messages) => _inner.EncodeChat(messages);

    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken) =>
        throw new NullReferenceException("secret internals");

    public void Dispose() => _inner.Dispose();
}
