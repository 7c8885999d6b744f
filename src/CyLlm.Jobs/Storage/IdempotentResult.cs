namespace CyLlm.Jobs.Storage;

/// <summary>The response of an idempotent request; <paramref name="Replayed"/> when it came from the stored first response.</summary>
public sealed record IdempotentResult(int StatusCode, string Body, bool Replayed);
