namespace CyLlm.Jobs.Storage;

/// <summary>An uploaded or generated file (OpenAI <c>file</c> object) whose bytes live at <paramref name="Path"/>.</summary>
/// <param name="Purpose">OpenAI purpose: <c>batch</c>, <c>batch_output</c>, <c>fine-tune</c>, ...</param>
/// <param name="Bytes">Size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
public sealed record FileRecord(string Id, string TenantId, string Purpose, string FileName, long Bytes, string Sha256, string Path, DateTimeOffset CreatedAt);
