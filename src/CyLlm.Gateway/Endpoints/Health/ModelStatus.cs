namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>The served model: id, load state (loading, ready, failed), and each file's recorded SHA-256.</summary>
public sealed record ModelStatus(string Id, string? Path, string State, string? Error, IReadOnlyList<ModelFileStatus> Files);
