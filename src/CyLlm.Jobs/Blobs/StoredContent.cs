namespace CyLlm.Jobs.Blobs;

/// <summary>Where a file's contents were written (the value for <see cref="Storage.FileRecord.Path"/>) and their length and SHA-256.</summary>
public sealed record StoredContent(string Path, long SizeBytes, string Sha256);
