namespace CyLlm.Jobs.Health;

/// <summary>A configured model file and the SHA-256 (lower-case hex) recorded for it.</summary>
public sealed record ModelFileExpectation(string Path, string Sha256);
