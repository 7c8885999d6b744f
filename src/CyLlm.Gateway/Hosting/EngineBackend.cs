using CyLlm.ChatTemplates;
using CyLlm.Engine;
using CyLlm.Engine.Generation;
using CyLlm.Tokenizers;

namespace CyLlm.Gateway.Hosting;

/// <summary>An <see cref="IInferenceBackend"/> over one loaded <see cref="InferenceEngine"/>.</summary>
public sealed class EngineBackend : IInferenceBackend
{
    private readonly InferenceEngine _engine;
    private readonly ITokenizer _tokenizer;
    private readonly bool _ownsEngine;

    public EngineBackend(InferenceEngine engine, string modelId, bool ownsEngine = true)
    {
        _engine = engine;
        _tokenizer = engine.Tokenizer ?? throw new InvalidOperationException("the model has no tokenizer; pass one with --tokenizer");
        _ownsEngine = ownsEngine;
        ModelId = modelId;
    }

    public string ModelId { get; }

    public int ContextTokens => _engine.ContextTokens;

    public int VocabSize => _engine.Config.VocabSize;

    public InferenceEngine Engine => _engine;

    public int[] Encode(string text, bool? addBos = null) => _engine.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _tokenizer.Decode(ids, skipSpecial: true);

    public byte[] PieceBytes(int id) => _tokenizer.PieceBytes(id).ToArray();

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => _engine.RenderChat(messages, addGenerationPrompt: true);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => _engine.EncodeChat(messages, addGenerationPrompt: true);

    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken) =>
        _engine.Generate(request, onToken, cancellationToken);

    public void Dispose()
    {
        if (_ownsEngine)
        {
            _engine.Dispose();
        }
    }
}
