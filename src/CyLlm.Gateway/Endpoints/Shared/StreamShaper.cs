using CyLlm.Engine.Generation;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Turns a generation's events into the JSON payloads of one SSE stream (chat or text chunks).</summary>
public abstract class StreamShaper
{
    /// <summary>
    /// Completes when <see cref="First"/> has what it needs beyond the request's start (a completion's echoed prompt
    /// waits for the prompt's logprobs, known when the prefill is done). Never faults; by default already complete.
    /// </summary>
    /// <param name="first">Choice 0's generation, the one that computes the prompt.</param>
    public virtual Task BeforeFirstAsync(GenerationStream first) => Task.CompletedTask;

    /// <summary>Payload sent once the engine starts the request (e.g. the chat role chunk), or null.</summary>
    public abstract object? First();

    /// <summary>Payload for one generated token (several as <see cref="SsePayloads"/>), or null when it carries nothing to send.</summary>
    public abstract object? Token(GeneratedToken token);

    /// <summary>The closing payloads: the finish_reason chunk and, when asked, the usage chunk.</summary>
    public abstract IEnumerable<object> Final(GenerationResult result);
}
