using System.Text.Json;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// Defensive reads of Hugging Face JSON files (config.json, tokenizer.json, safetensors headers): a missing
/// property or one of the wrong kind reads as null, so that hostile or unusual files end in a one-line
/// <see cref="ModelFormatException"/> from the caller, never in a KeyNotFound/InvalidOperation exception.
/// </summary>
internal static class HfJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Parses <paramref name="path"/> (at most <paramref name="maxBytes"/>); its root must be an object.</summary>
    public static JsonDocument ParseFile(string path, long maxBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"file not found: {path}", path);
        }

        if (info.Length > maxBytes)
        {
            throw new ModelFormatException($"{info.Name}: {info.Length} bytes is too large for this JSON file (limit {maxBytes})");
        }

        return Parse(File.ReadAllBytes(path), info.Name);
    }

    /// <summary>Parses UTF-8 JSON whose root must be an object; <paramref name="name"/> prefixes errors.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string name)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            throw new ModelFormatException($"{name} is not valid UTF-8");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, Options);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or System.Text.DecoderFallbackException)
        {
            throw new ModelFormatException($"{name} is not valid JSON: {FirstLine(e.Message)}");
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new ModelFormatException($"{name}: the JSON root is not an object");
        }

        return doc;
    }

    /// <summary>
    /// Runs <paramref name="read"/> over parsed JSON, turning the InvalidOperationException System.Text.Json throws
    /// lazily for strings it cannot transcode (an escaped lone surrogate) into a format error.
    /// </summary>
    public static T Guard<T>(string name, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFormatException($"{name}: unreadable JSON text ({e.Message})", e);
        }
    }

    public static JsonElement? Prop(JsonElement e, string k) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(k, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static JsonElement? Obj(JsonElement e, string k) => Prop(e, k) is { ValueKind: JsonValueKind.Object } v ? v : null;

    public static JsonElement? Arr(JsonElement e, string k) => Prop(e, k) is { ValueKind: JsonValueKind.Array } v ? v : null;

    public static string? Str(JsonElement e, string k) => Prop(e, k) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static bool? Bool(JsonElement e, string k) => Prop(e, k) is { ValueKind: JsonValueKind.True or JsonValueKind.False } v ? v.GetBoolean() : null;

    public static long? Long(JsonElement e, string k) => Prop(e, k) is { } v ? AsLong(v) : null;

    public static int? Int(JsonElement e, string k) => Long(e, k) is long l && l is >= int.MinValue and <= int.MaxValue ? (int)l : null;

    public static float? Float(JsonElement e, string k) =>
        Prop(e, k) is { ValueKind: JsonValueKind.Number } v && v.TryGetDouble(out double d) && double.IsFinite(d) ? (float)d : null;

    /// <summary>An integral JSON number (1, 1.0 and 1e3 count), else null.</summary>
    public static long? AsLong(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        if (v.TryGetInt64(out long l))
        {
            return l;
        }

        return v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (long)d : null;
    }

    /// <summary>A special-token entry of tokenizer_config.json: a string, or an AddedToken object's content.</summary>
    public static string? TokenText(JsonElement e, string k) => Prop(e, k) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o => Str(o, "content"),
        _ => null,
    };

    private static string FirstLine(string s)
    {
        int nl = s.IndexOfAny(['\r', '\n']);
        return nl < 0 ? s : s[..nl];
    }
}
