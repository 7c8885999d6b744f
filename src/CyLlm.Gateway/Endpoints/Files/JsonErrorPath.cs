using System.Text;
using System.Text.Json;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>
/// Where in a line of JSON the syntax breaks, as a field path such as <c>messages[1].content</c>, so an upload's
/// row errors point at the field to fix. JsonDocument's and the serializer's errors on a JsonElement carry no such
/// path, so the tokens of the bad line are walked again, keeping the containers, property names and array indices.
/// </summary>
internal static class JsonErrorPath
{
    /// <summary>The path at the failure, or null when the line parses or breaks before any field.</summary>
    public static string? Of(string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        // One entry per open container: an array's current index (-1 before its first value) or an object's current property.
        var frames = new List<(bool Array, int Index, string? Property)>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        frames[^1] = frames[^1] with { Property = reader.GetString() };
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(frames);
                        frames.Add((reader.TokenType == JsonTokenType.StartArray, -1, null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    default:
                        Advance(frames);
                        break;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            var path = new StringBuilder();
            foreach (var (array, index, property) in frames)
            {
                if (array && index >= 0)
                {
                    path.Append('[').Append(index).Append(']');
                }
                else if (!array && property is not null)
                {
                    path.Append(path.Length > 0 ? "." : string.Empty).Append(property);
                }
            }

            return path.Length > 0 ? path.ToString() : null;
        }
    }

    /// <summary>A value starts: in an array it is the next element.</summary>
    private static void Advance(List<(bool Array, int Index, string? Property)> frames)
    {
        if (frames.Count > 0 && frames[^1].Array)
        {
            frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
        }
    }
}
