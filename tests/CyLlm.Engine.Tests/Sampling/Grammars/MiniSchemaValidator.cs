using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

/// <summary>An independent validator for the schema subset the grammar supports (tests check the grammar's output
/// against it); returns the first violation, or null.</summary>
internal static class MiniSchemaValidator
{
    public static string? Validate(JsonElement value, JsonElement schema, JsonElement? root = null, string path = "$")
    {
        var r = root ?? schema;
        if (schema.ValueKind == JsonValueKind.True)
        {
            return null;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            string s = reference.GetString()!;
            var target = r;
            foreach (string seg in s.Length > 1 ? s[2..].Split('/') : [])
            {
                target = target.GetProperty(seg);
            }

            return Validate(value, target, r, path);
        }

        foreach (string k in new[] { "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(k, out var list))
            {
                foreach (var sub in list.EnumerateArray())
                {
                    if (Validate(value, sub, r, path) is null)
                    {
                        return null;
                    }
                }

                return $"{path}: matches no {k} branch";
            }
        }

        if (schema.TryGetProperty("const", out var c) && !JsonElement.DeepEquals(c, value))
        {
            return $"{path}: not the const";
        }

        if (schema.TryGetProperty("enum", out var e) && !e.EnumerateArray().Any(x => JsonElement.DeepEquals(x, value)))
        {
            return $"{path}: not in enum";
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => HasType(value, t)))
            {
                return $"{path}: not of type {string.Join("|", types)}";
            }
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var props = schema.TryGetProperty("properties", out var p) ? p : default;
                var seen = new HashSet<string>();
                foreach (var member in value.EnumerateObject())
                {
                    // A declared key appears once (the grammar lists each at most once and keeps extra keys off them);
                    // undeclared keys of an open object may repeat — uniqueness of arbitrary keys is beyond a
                    // context-free grammar, and JSON (RFC 8259) only says they SHOULD be unique.
                    bool declaredKey = props.ValueKind == JsonValueKind.Object && props.TryGetProperty(member.Name, out _);
                    if (!seen.Add(member.Name) && declaredKey)
                    {
                        return $"{path}: duplicate key {member.Name}";
                    }

                    if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(member.Name, out var ps))
                    {
                        if (Validate(member.Value, ps, r, path + "." + member.Name) is { } err)
                        {
                            return err;
                        }
                    }
                    else if (schema.TryGetProperty("additionalProperties", out var ap))
                    {
                        if (ap.ValueKind == JsonValueKind.False)
                        {
                            return $"{path}: extra property {member.Name}";
                        }

                        if (ap.ValueKind == JsonValueKind.Object && Validate(member.Value, ap, r, path + "." + member.Name) is { } err)
                        {
                            return err;
                        }
                    }
                }

                if (schema.TryGetProperty("required", out var req))
                {
                    foreach (var name in req.EnumerateArray())
                    {
                        if (!seen.Contains(name.GetString()!))
                        {
                            return $"{path}: missing {name.GetString()}";
                        }
                    }
                }

                break;
            case JsonValueKind.Array:
                int n = value.GetArrayLength();
                if (schema.TryGetProperty("minItems", out var mi) && n < mi.GetInt32())
                {
                    return $"{path}: fewer than minItems";
                }

                if (schema.TryGetProperty("maxItems", out var ma) && n > ma.GetInt32())
                {
                    return $"{path}: more than maxItems";
                }

                if (schema.TryGetProperty("items", out var items))
                {
                    int i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        if (Validate(item, items, r, $"{path}[{i++}]") is { } err)
                        {
                            return err;
                        }
                    }
                }

                break;
            case JsonValueKind.String:
                string str = value.GetString()!;
                int len = str.EnumerateRunes().Count();
                if (schema.TryGetProperty("minLength", out var minL) && len < minL.GetInt32())
                {
                    return $"{path}: shorter than minLength";
                }

                if (schema.TryGetProperty("maxLength", out var maxL) && len > maxL.GetInt32())
                {
                    return $"{path}: longer than maxLength";
                }

                if (schema.TryGetProperty("pattern", out var pat) && !Regex.IsMatch(str, pat.GetString()!, RegexOptions.CultureInvariant))
                {
                    return $"{path}: does not match pattern";
                }

                if (schema.TryGetProperty("format", out var fmt) && fmt.GetString() == "uuid" && !Guid.TryParseExact(str, "D", out _))
                {
                    return $"{path}: not a uuid";
                }

                if (schema.TryGetProperty("format", out fmt) && fmt.GetString() == "date" && !DateOnly.TryParseExact(str, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    && !Regex.IsMatch(str, "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))
                {
                    return $"{path}: not a date";
                }

                break;
            case JsonValueKind.Number:
                // Exponents beyond decimal's range: compare as double (bounds in tests are small integers).
                decimal d = value.TryGetDecimal(out decimal exact) ? exact : (decimal)Math.Clamp(value.GetDouble(), -1e28, 1e28);
                if (schema.TryGetProperty("minimum", out var min) && d < min.GetDecimal())
                {
                    return $"{path}: below minimum";
                }

                if (schema.TryGetProperty("maximum", out var max) && d > max.GetDecimal())
                {
                    return $"{path}: above maximum";
                }

                if (schema.TryGetProperty("exclusiveMinimum", out var emin) && d <= emin.GetDecimal())
                {
                    return $"{path}: not above exclusiveMinimum";
                }

                if (schema.TryGetProperty("exclusiveMaximum", out var emax) && d >= emax.GetDecimal())
                {
                    return $"{path}: not below exclusiveMaximum";
                }

                break;
        }

        return null;
    }

    private static bool HasType(JsonElement v, string t) => t switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out decimal d) && decimal.Truncate(d) == d,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => false,
    };
}
