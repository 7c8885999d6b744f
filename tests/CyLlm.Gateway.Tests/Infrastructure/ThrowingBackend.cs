using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>
/// A backend whose generation fails: by default with an unexpected exception (the 500 path), or with the exception
/// <paramref name="error"/> makes, thrown from generation or, with <paramref name="fromChatTemplate"/>, from rendering
/// the chat (where template errors arise).
/// </summary>
public sealed class ThrowingBackend(Func<Exception>? error = null, bool fromChatTemplate = false) : IDisposable, CyLlm.Gateway.Hosting.IInferenceBackend
{
    private readonly FakeBackend _inner = new();
    private readonly Func<Exception> _error = error ?? (() => new NullReferenceException("secret internals"));

    public string ModelId => "fake";

    public int ContextTokens => _inner.ContextTokens;

    public int VocabSize => _inner.VocabSize;

    public int[] Encode(string text, bool? addBos = null) => _inner.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _inner.Decode(ids);

    public byte[] PieceBytes(int id) => _inner.PieceBytes(id);

    public string RenderChat(IReadOnlyList<CyLlm.ChatTemplates.ChatMessage> messages) =>
        fromChatTemplate ? throw _error() : _inner.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<CyLlm.ChatTemplates.ChatMessage> messages) =>
        fromChatTemplate ? throw _error() : _inner.EncodeChat(messages);

    /// <summary>Fails as an engine's submission does: at once, before anything is queued.</summary>
    public CyLlm.Gateway.Hosting.GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken) =>
        throw _error();

    public void Dispose() => _inner.Dispose();
}
