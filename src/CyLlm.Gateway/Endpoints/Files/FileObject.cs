using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>OpenAI <c>file</c> object. Times are Unix seconds; <see cref="Status"/> is always <c>processed</c> (uploads are validated synchronously).</summary>
public sealed record FileObject(string Id, string Object, long Bytes, long CreatedAt, long? ExpiresAt, string Filename, string Purpose, string Status, string? StatusDetails)
{
    public static FileObject From(FileRecord f) =>
        new(f.Id, "file", f.Bytes, f.CreatedAt.ToUnixTimeSeconds(), null, f.FileName, f.Purpose, "processed", null);
}
