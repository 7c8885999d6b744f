using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Turns a generation's events into the JSON payloads of one SSE stream (chat or text chunks).</summary>
public abstract class StreamShaper
{
    /// <summary>Payload sent once the engine starts the request (e.g. the chat role chunk), or null.</summary>
    public abstract object? First();

    /// <summary>Payload for one generated token (several as <see cref="SsePayloads"/>), or null when it carries nothing to send.</summary>
    public abstract object? Token(GeneratedToken token);

    /// <summary>The closing payloads: the finish_reason chunk and, when asked, the usage chunk.</summary>
    public abstract IEnumerable<object> Final(GenerationResult result);
}
