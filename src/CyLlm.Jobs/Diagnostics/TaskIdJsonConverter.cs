using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Jobs.Diagnostics;

/// <summary>Writes a <see cref="TaskId"/> as its string and parses it back.</summary>
public sealed class TaskIdJsonConverter : JsonConverter<TaskId>
{
    public override TaskId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TaskId.Parse(reader.GetString() ?? throw new JsonException("task id must be a string"));

    public override void Write(Utf8JsonWriter writer, TaskId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.IsEmpty ? null : value.Value);
}
