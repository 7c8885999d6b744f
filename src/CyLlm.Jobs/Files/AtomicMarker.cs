using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Jobs.Files;

/// <summary>The <c>.ok</c> marker document: <c>{"file":"NAME","size":N,"sha256":"hex","written_utc":"ISO-8601"}</c>.</summary>
internal sealed record AtomicMarker(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("written_utc")] DateTimeOffset WrittenUtc)
{
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    /// <summary>Parses a marker; null when it is not a complete, well-formed marker.</summary>
    public static AtomicMarker? TryRead(byte[] json)
    {
        try
        {
            var m = JsonSerializer.Deserialize<AtomicMarker>(json, JsonOptions);
            return m is { File: not null, Sha256.Length: 64 } && m.Size >= 0 ? m : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
