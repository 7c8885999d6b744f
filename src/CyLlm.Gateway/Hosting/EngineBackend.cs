using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Scheduling;
using CyLlm.Tokenizers;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// An <see cref="IInferenceBackend"/> over one loaded <see cref="InferenceEngine"/>: through the serving engine
/// (continuous batching, prefix cache) when one is given, else the single-stream session.
/// </summary>
public sealed class EngineBackend : IInferenceBackend
{
    private readonly InferenceEngine _engine;
    private readonly ITokenizer _tokenizer;
    private readonly bool _ownsEngine;

    private readonly ServingEngine? _serving;

    private readonly SerialGate? _serial;
    private readonly int _maxWaiting;

    /// <param name="maxWaiting">Without the serving engine: most requests waiting for the single-stream engine.</param>
    public EngineBackend(InferenceEngine engine, string modelId, bool ownsEngine = true, ServingOptions? serving = null, int maxWaiting = 64)
    {
        _serving = serving is null ? null : new ServingEngine(engine, serving);
        _serial = serving is null ? new SerialGate((r, t, c) => engine.Generate(r, t, c), maxWaiting) : null;
        _maxWaiting = serving?.MaxWaiting ?? maxWaiting;
        _engine = engine;
        _tokenizer = engine.Tokenizer ?? throw new InvalidOperationException("the model has no tokenizer; pass one with --tokenizer");
        _ownsEngine = ownsEngine;
        ModelId = modelId;
    }

    public string ModelId { get; }

    public int ContextTokens => _engine.ContextTokens;

    public int VocabSize => _engine.Config.VocabSize;

    public int MaxRequestTokens => _serving?.MaxRequestTokens ?? _engine.ContextTokens;

    public InferenceEngine Engine => _engine;

    /// <summary>Read once: the tensors of a mapped model do not change while it is served.</summary>
    public CyLlm.Models.ModelSummary Summary => _summary ??= CyLlm.Models.ModelSummary.Of(_engine.Model);

    private CyLlm.Models.ModelSummary? _summary;

    /// <summary>The continuous-batching engine, null when disabled (disaggregated workers run on it).</summary>
    public ServingEngine? Serving => _serving;

    /// <summary>Fraction of the serving engine's KV blocks in use (0 without continuous batching), for alerts.</summary>
    public double KvUsage => _serving?.KvUsage ?? 0;

    public int[] Encode(string text, bool? addBos = null) => _engine.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _tokenizer.Decode(ids, skipSpecial: true);

    public byte[] PieceBytes(int id) => _tokenizer.PieceBytes(id).ToArray();

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => _engine.RenderChat(messages, addGenerationPrompt: true);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => _engine.EncodeChat(messages, addGenerationPrompt: true);

    public ToolCallDialect ToolDialect => _engine.ToolDialect;

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, string generationPrefix) =>
        _engine.EncodeChat(messages, tools, generationPrefix);

    public float[] Embed(int[] tokens) => _engine.Embed(tokens);

    public IReadOnlyList<string> Adapters => _serving?.AdapterNames ?? [];

    public void LoadAdapter(string name, string path) =>
        (_serving ?? throw new InvalidOperationException("LoRA adapters need the serving engine")).LoadAdapter(name, path);

    public Task UnloadAdapterAsync(string name) =>
        (_serving ?? throw new InvalidOperationException("LoRA adapters need the serving engine")).UnloadAdapterAsync(name);

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken)
    {
        if (_serving is null)
        {
            if (request.Adapter is not null)
            {
                throw new ArgumentException("LoRA adapters need the serving engine (continuous batching)");
            }

            if (request.PromptLogprobs is not null)
            {
                throw new ArgumentException("prompt logprobs (echo with logprobs) need the serving engine (continuous batching)");
            }

            return _serial!.Start(request, cancellationToken);
        }

        // Straight into the engine's waiting queue (priority-ordered, bounded); the caller reads the handle's channel.
        var handle = _serving.Submit(ToServing(request), cancellationToken);
        return new GenerationStream(handle.Tokens, handle.Started, handle.Completion) { PromptLogprobs = handle.PromptLogprobs };
    }

    /// <summary>n choices through the serving engine: the prompt computed once, its KV blocks shared by every choice.</summary>
    public GenerationStream[] StartMany(GenerationRequest request, int n, CancellationToken cancellationToken)
    {
        if (_serving is null || n == 1)
        {
            return this.StartSeparately(request, n, cancellationToken);
        }

        return [.. _serving.SubmitMany(ToServing(request), n, cancellationToken).Select(h => new GenerationStream(h.Tokens, h.Started, h.Completion) { PromptLogprobs = h.PromptLogprobs })];
    }

    private ServingRequest ToServing(GenerationRequest request)
    {
        int[] prompt = request.PromptTokens is { } ids ? ids.ToArray() : _engine.Encode(request.Prompt, request.AddBos, request.ParseSpecial);
        if (prompt.Length == 0)
        {
            prompt = [_tokenizer.BosId >= 0 ? _tokenizer.BosId : 0];
        }

        return WithPriority(new ServingRequest(prompt, request.Sampling)
        {
            Adapter = request.Adapter,
            TenantId = request.TenantId,
            CacheSalt = request.CacheSalt,
            PromptLogprobs = request.PromptLogprobs,
        }, request.Priority);
    }

    public bool SupportsPromptLogprobs => _serving is not null;

    public int Waiting => _serving?.Waiting ?? _serial!.Waiting;

    public int MaxWaiting => _maxWaiting;

    public void Dispose()
    {
        _serving?.Dispose();
        if (_ownsEngine)
        {
            _engine.Dispose();
        }
    }

    /// <summary>Sets the priority only when the client gave one, so a tenant's default applies otherwise.</summary>
    private static ServingRequest WithPriority(ServingRequest request, int? priority) =>
        priority is { } p ? request with { Priority = p } : request;

    public CyLlm.Engine.Scheduling.ServingStatus? Status => _serving?.GetStatus();
}
