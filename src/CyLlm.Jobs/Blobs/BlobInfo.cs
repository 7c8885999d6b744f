namespace CyLlm.Jobs.Blobs;

/// <summary>A complete blob: its id, length in bytes and SHA-256 (64 lowercase hex digits).</summary>
public sealed record BlobInfo(string Id, long Length, string Sha256);
