namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>OpenAI list of files, newest first.</summary>
public sealed record FileList(string Object, IReadOnlyList<FileObject> Data, string? FirstId, string? LastId, bool HasMore);
