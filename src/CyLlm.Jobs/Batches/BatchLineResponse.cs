namespace CyLlm.Jobs.Batches;

/// <summary>What an executor answered for one line: an HTTP status and a JSON body.</summary>
public sealed record BatchLineResponse(int StatusCode, string BodyJson);
