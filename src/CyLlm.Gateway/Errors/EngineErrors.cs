using CyLlm.ChatTemplates;
using CyLlm.Engine.Scheduling;
using CyLlm.Jobs.Blobs;

namespace CyLlm.Gateway.Errors;

/// <summary>
/// The one place where exceptions of the engine and the chat templates become OpenAI error objects. The error
/// middleware uses it for answers not yet started and the SSE writer for streams already under way, so a request
/// gets the same status and code whichever way it fails. What is not listed here is a bug and stays a 500.
/// </summary>
public static class EngineErrors
{
    /// <summary>The client-facing error for <paramref name="e"/>, or null when it is unexpected (a 500).</summary>
    public static ApiError? Map(Exception e) => e switch
    {
        ApiError api => api,
        ContextLengthException c => new ApiError(400, ErrorCodes.ContextLengthExceeded,
            $"This model's maximum context length is {c.Context} tokens, but the request asks for {(long)c.PromptTokens + c.MaxTokens} ({c.PromptTokens} in the prompt, {c.MaxTokens} to generate). Fix: lower max_tokens to at most {Math.Max(0, c.Context - c.PromptTokens)} or shorten the prompt",
            "max_tokens"),
        KvCapacityException k => new ApiError(400, ErrorCodes.ContextLengthExceeded,
            $"The server's KV cache cannot hold this request: {k.Message}. Fix: lower max_tokens (or omit it: the server then fits it to the cache) or shorten the prompt; operators can raise --kv-cache-bytes",
            "max_tokens"),
        ServerOverloadedException o => new ApiError(503, ErrorCodes.ServerOverloaded,
            $"{Sentence(o.Message)}. Fix: retry after the Retry-After interval, or send fewer concurrent requests"),
        Workers.NoHealthyWorkersException w => new ApiError(503, Workers.WorkerErrors.NoHealthyWorkers,
            $"{Sentence(w.Message)}. Fix: retry after the Retry-After interval; operators: check the workers' processes and GET /status (workers)"),
        AdapterNotFoundException a => new ApiError(404, ErrorCodes.ModelNotFound,
            $"{Sentence(a.Message)}. Fix: GET /v1/models lists the loaded adapters", "model"),
        ChatTemplateException t => new ApiError(400, ErrorCodes.InvalidRequest,
            $"The model's chat template refused the conversation: {Sentence(t.Message)}. Fix: change the messages to follow the model's conversation rules (roles, order)",
            "messages"),

        // File contents (FileContents, the blob stores): gone, or damaged on disk or in the store.
        BlobNotFoundException => new ApiError(404, ErrorCodes.NotFound,
            "The content of this file is missing from the server's file storage. Fix: upload the file again; tell the operator the storage lost it"),
        BlobCorruptException b => new ApiError(503, ErrorCodes.ServerError,
            $"The stored content of this file is damaged ({Sentence(b.Message)}). Fix: retry later or upload the file again; tell the operator"),

        // The engine's own request checks (sampling ranges, an empty prompt, token ids outside the vocabulary) throw a
        // plain ArgumentException; its subclasses (null or out-of-range arguments) are bugs and stay 500s.
        _ when e.GetType() == typeof(ArgumentException) => ApiError.BadRequest(Sentence(e.Message)),
        _ => null,
    };

    private static string Sentence(string message) => message.TrimEnd('.', ' ');
}
