namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>A model file and the SHA-256 recorded for it in the data folder (null when not recorded).</summary>
public sealed record ModelFileStatus(string Path, string? Sha256);
