using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Jobs.Batches;

/// <summary>A batch's request, stored as the task's Input JSON.</summary>
/// <param name="CompletionWindow">OpenAI's window, e.g. <c>24h</c>; the batch expires when it passes.</param>
public sealed record BatchSpec(
    [property: JsonPropertyName("input_file_id")] string InputFileId,
    [property: JsonPropertyName("endpoint")] string Endpoint,
    [property: JsonPropertyName("completion_window")] string CompletionWindow)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static BatchSpec FromJson(string json) =>
        JsonSerializer.Deserialize<BatchSpec>(json) ?? throw new FormatException("batch spec JSON is null");

    /// <summary>The completion window as a duration: <c>Nh</c> or <c>Nm</c>; throws <see cref="FormatException"/> otherwise.</summary>
    public TimeSpan Window()
    {
        string w = CompletionWindow;
        if (w.Length >= 2 && int.TryParse(w.AsSpan(0, w.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0)
        {
            return w[^1] switch
            {
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => throw new FormatException($"completion window '{w}' must be like 24h or 30m"),
            };
        }

        throw new FormatException($"completion window '{w}' must be like 24h or 30m");
    }
}
