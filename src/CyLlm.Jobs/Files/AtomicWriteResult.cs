namespace CyLlm.Jobs.Files;

/// <summary>What <see cref="AtomicFile.WriteAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> durably wrote.</summary>
/// <param name="Path">Absolute path of the target file.</param>
/// <param name="MarkerPath">Absolute path of its <c>.ok</c> marker (JSON: file, size, sha256, written_utc).</param>
/// <param name="SizeBytes">Bytes written.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes written.</param>
/// <param name="WrittenAt">UTC time recorded in the marker.</param>
public sealed record AtomicWriteResult(string Path, string MarkerPath, long SizeBytes, string Sha256, DateTimeOffset WrittenAt);
