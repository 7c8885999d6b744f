using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// What the gateway needs from a model. Every member is thread-safe and called from request handlers; generations
/// go through <see cref="Start"/>, which never blocks its caller for the generation.
/// </summary>
public interface IInferenceBackend : IDisposable
{
    /// <summary>The id clients pass as "model".</summary>
    string ModelId { get; }

    /// <summary>Context length in tokens (prompt + completion).</summary>
    int ContextTokens { get; }

    int VocabSize { get; }

    /// <summary>Most tokens (prompt + completion) one request can hold: the context, or less when the KV cache is
    /// smaller. An omitted max_tokens is clamped to it so such a request never fails for the cache's size.</summary>
    int MaxRequestTokens => ContextTokens;

    /// <summary>Tokens of a prompt as the model expects them (BOS by the tokenizer's rule).</summary>
    int[] Encode(string text, bool? addBos = null);

    string Decode(IReadOnlyList<int> ids);

    /// <summary>Raw bytes of one token (UTF-8 fragments for byte-level pieces).</summary>
    byte[] PieceBytes(int id);

    /// <summary>The chat template applied to <paramref name="messages"/>, ending with the assistant prompt.</summary>
    string RenderChat(IReadOnlyList<ChatMessage> messages);

    /// <summary>Token ids of the rendered conversation (BOS only when the template did not write it).</summary>
    int[] EncodeChat(IReadOnlyList<ChatMessage> messages);

    /// <summary>How the chat template renders tools and how the model writes calls; the Hermes fallback by default.</summary>
    ToolCallDialect ToolDialect => ToolCallDialect.Fallback;

    /// <summary>
    /// Token ids of the conversation rendered with <paramref name="tools"/> (and its tool calls and results), ending
    /// with the assistant prompt and then <paramref name="generationPrefix"/>, the text a forced tool call starts
    /// with. By default the Hermes fallback rewrites the conversation for the plain template.
    /// </summary>
    int[] EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, string generationPrefix)
    {
        int[] ids = EncodeChat(ToolPromptFallback.Rewrite(messages, tools));
        return generationPrefix.Length == 0 ? ids : [.. ids, .. Encode(generationPrefix, addBos: false)];
    }

    /// <summary>
    /// Starts a generation and returns at once; tokens and the result arrive on the stream. Admission is the backend's
    /// own: a full waiting queue throws <see cref="CyLlm.Engine.Scheduling.ServerOverloadedException"/> here, and so do
    /// the request checks (context, KV capacity, adapter); cancelling <paramref name="cancellationToken"/> removes a
    /// waiting request and stops a running one.
    /// </summary>
    GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Starts <paramref name="n"/> choices of one request (OpenAI's <c>n</c>): choice i samples with seed + i (a seed is
    /// drawn when the request has none), so each equals a lone request with that seed. This default starts them as
    /// separate generations; a backend that can compute the prompt once and share its KV does so.
    /// </summary>
    GenerationStream[] StartMany(GenerationRequest request, int n, CancellationToken cancellationToken) =>
        this.StartSeparately(request, n, cancellationToken);

    /// <summary>Whether <see cref="GenerationRequest.PromptLogprobs"/> is honoured (completions' echo with logprobs);
    /// a backend that cannot score the prompt must say so rather than ignore the field.</summary>
    bool SupportsPromptLogprobs => false;

    /// <summary>Architecture, quantization and size for /v1/models; null when the backend does not know its model's file.</summary>
    CyLlm.Models.ModelSummary? Summary => null;

    /// <summary>Requests waiting in the backend's queue (not yet running).</summary>
    int Waiting => 0;

    /// <summary>Most requests that may wait; 0 when the backend keeps no queue of its own.</summary>
    int MaxWaiting => 0;

    /// <summary>Mean-pooled, L2-normalized final hidden state of <paramref name="tokens"/>.</summary>
    float[] Embed(int[] tokens) => throw new ApiError(400, Errors.ErrorCodes.InvalidRequest, "This model does not serve embeddings. Fix: use a model loaded by cyllm serve");

    /// <summary>Loaded LoRA adapters (each served as a model named "base:adapter" or just "adapter").</summary>
    IReadOnlyList<string> Adapters => [];

    /// <summary>The serving engine's snapshot (counts, KV usage, prefix cache, latency percentiles); null without one.</summary>
    CyLlm.Engine.Scheduling.ServingStatus? Status => null;

    /// <summary>The remote engine workers behind this model and their heartbeat state; null when it runs in this process.</summary>
    IReadOnlyList<Workers.WorkerStatus>? Workers => null;

    void LoadAdapter(string name, string path) => throw new ApiError(400, Errors.ErrorCodes.InvalidRequest, "This server does not load LoRA adapters. Fix: run cyllm serve with continuous batching");

    Task UnloadAdapterAsync(string name) => throw new ApiError(400, Errors.ErrorCodes.InvalidRequest, "This server does not load LoRA adapters. Fix: run cyllm serve with continuous batching");
}
