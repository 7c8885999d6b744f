namespace CyLlm.Jobs.Batches;

/// <summary>One parsed request of a batch input file (<c>{"custom_id","method","url","body"}</c>).</summary>
/// <param name="Index">0-based index among the file's non-empty lines.</param>
/// <param name="BodyJson">The request body as JSON text (an object).</param>
public sealed record BatchRequestLine(int Index, string CustomId, string Method, string Url, string BodyJson);
