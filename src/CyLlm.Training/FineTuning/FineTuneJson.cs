using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Training.FineTuning;

/// <summary>The JSON form of specs, results and metrics stored with tasks: snake_case, no nulls.</summary>
public static class FineTuneJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"empty {typeof(T).Name}");
}
