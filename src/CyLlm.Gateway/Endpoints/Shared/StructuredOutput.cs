using System.Text.Json;
using CyLlm.Engine.Sampling.Grammars;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// Structured outputs: turns OpenAI's <c>response_format</c> (text, json_object, json_schema) and vLLM's
/// <c>guided_json</c>, <c>guided_choice</c>, <c>guided_regex</c>, <c>guided_grammar</c> (GBNF or Lark) into one compiled
/// <see cref="Grammar"/> (compilations are cached by source). At most one constraint per request. A schema, regex or
/// grammar the engine cannot enforce exactly is a 400 naming the field (for schemas, the keyword's JSON path): a
/// constraint is never accepted and then ignored.
/// </summary>
public static class StructuredOutput
{
    /// <summary>Longest guided_regex / guided_grammar / serialized schema accepted (compile time and memory).</summary>
    public const int MaxSourceChars = 256 * 1024;

    /// <summary>Most guided_choice entries.</summary>
    public const int MaxChoices = 1024;

    /// <summary>The grammar the request asks for, or null when its output is free.</summary>
    /// <param name="responseFormat">Chat's response_format (null for text completions, which have none).</param>
    public static Grammar? Resolve(SamplingRequest r, JsonElement? responseFormat)
    {
        var set = new List<string>();
        bool hasFormat = responseFormat is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } rf && !IsText(rf);
        if (hasFormat)
        {
            set.Add("response_format");
        }

        if (r.GuidedJson is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
        {
            set.Add("guided_json");
        }

        if (r.GuidedChoice is not null)
        {
            set.Add("guided_choice");
        }

        if (r.GuidedRegex is not null)
        {
            set.Add("guided_regex");
        }

        if (r.GuidedGrammar is not null)
        {
            set.Add("guided_grammar");
        }

        if (set.Count == 0)
        {
            return null;
        }

        if (set.Count > 1)
        {
            throw ApiError.BadRequest($"only one output constraint may be set, but the request has {string.Join(" and ", set)}", set[1]);
        }

        return set[0] switch
        {
            "response_format" => FromResponseFormat(responseFormat!.Value),
            "guided_json" => FromSchema(SchemaOf(r.GuidedJson!.Value), "guided_json"),
            "guided_choice" => FromChoice(r.GuidedChoice!),
            "guided_regex" => Compile(() => Grammar.FromRegex(Bounded(r.GuidedRegex!, "guided_regex")), "guided_regex"),
            _ => Compile(() => GuidedGrammar(Bounded(r.GuidedGrammar!, "guided_grammar")), "guided_grammar"),
        };
    }

    /// <summary>GBNF or Lark, told apart as vLLM and xgrammar do: a grammar containing <c>::=</c> is GBNF.</summary>
    private static Grammar GuidedGrammar(string text) =>
        text.Contains("::=", StringComparison.Ordinal) ? Grammar.FromGbnf(text) : Grammar.FromLark(text);

    private static bool IsText(JsonElement rf) =>
        rf.ValueKind == JsonValueKind.Object && rf.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "text";

    private static Grammar FromResponseFormat(JsonElement rf)
    {
        if (rf.ValueKind != JsonValueKind.Object || !rf.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw ApiError.BadRequest("response_format must be an object with a string \"type\"", "response_format");
        }

        switch (type.GetString())
        {
            case "json_object":
                RejectExtra(rf, "response_format", "type");
                return Grammar.JsonObject();
            case "json_schema":
                RejectExtra(rf, "response_format", "type", "json_schema");
                if (!rf.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object)
                {
                    throw ApiError.BadRequest("response_format.json_schema is required when type is json_schema and must be an object", "response_format.json_schema");
                }

                RejectExtra(js, "response_format.json_schema", "name", "schema", "strict", "description");
                if (!js.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || !ValidName(name.GetString()!))
                {
                    throw ApiError.BadRequest("response_format.json_schema.name is required: 1 to 64 letters, digits, '_' or '-'", "response_format.json_schema.name");
                }

                if (js.TryGetProperty("strict", out var strict) && strict.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                {
                    throw ApiError.BadRequest("response_format.json_schema.strict must be a boolean", "response_format.json_schema.strict");
                }

                // Strict or not, the schema is enforced: every accepted keyword is enforced exactly.
                if (!js.TryGetProperty("schema", out var schema) || schema.ValueKind == JsonValueKind.Null)
                {
                    return Grammar.JsonObject();
                }

                if (schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True))
                {
                    throw ApiError.BadRequest("response_format.json_schema.schema must be a JSON Schema object", "response_format.json_schema.schema");
                }

                return FromSchema(schema, "response_format.json_schema.schema");
            case var other:
                throw ApiError.BadRequest($"response_format.type '{other}' is not supported (text, json_object and json_schema are)", "response_format.type");
        }
    }

    private static JsonElement SchemaOf(JsonElement guided)
    {
        if (guided.ValueKind == JsonValueKind.String)
        {
            // vLLM accepts the schema as a JSON string too.
            try
            {
                return JsonDocument.Parse(Bounded(guided.GetString()!, "guided_json")).RootElement;
            }
            catch (JsonException e)
            {
                throw ApiError.BadRequest($"guided_json is not valid JSON: {e.Message}", "guided_json");
            }
        }

        if (guided.ValueKind is not (JsonValueKind.Object or JsonValueKind.True))
        {
            throw ApiError.BadRequest("guided_json must be a JSON Schema object (or its JSON text)", "guided_json");
        }

        return guided;
    }

    private static Grammar FromSchema(JsonElement schema, string field)
    {
        Bounded(schema.GetRawText(), field);
        try
        {
            return Grammar.FromJsonSchema(schema, field);
        }
        catch (GrammarException e)
        {
            // The message starts with the JSON path of the keyword at fault: that is the most precise param.
            int colon = e.Message.IndexOf(": ", StringComparison.Ordinal);
            string param = colon > 0 && e.Message.StartsWith(field, StringComparison.Ordinal) ? e.Message[..colon] : field;
            throw ApiError.BadRequest(e.Message.TrimEnd('.'), param);
        }
    }

    private static Grammar FromChoice(List<string> choices)
    {
        if (choices.Count == 0 || choices.Count > MaxChoices)
        {
            throw ApiError.BadRequest($"guided_choice must have 1 to {MaxChoices} entries", "guided_choice");
        }

        long total = 0;
        foreach (string c in choices)
        {
            if (c is null)
            {
                throw ApiError.BadRequest("guided_choice entries must be strings", "guided_choice");
            }

            total += c.Length;
        }

        if (total > MaxSourceChars)
        {
            throw ApiError.BadRequest($"guided_choice is longer than {MaxSourceChars} characters in all", "guided_choice");
        }

        return Compile(() => Grammar.Choice(choices), "guided_choice");
    }

    private static Grammar Compile(Func<Grammar> compile, string field)
    {
        try
        {
            return compile();
        }
        catch (GrammarException e)
        {
            throw ApiError.BadRequest($"{field} cannot be enforced: {e.Message.TrimEnd('.')}", field);
        }
    }

    private static string Bounded(string text, string field) =>
        text.Length <= MaxSourceChars ? text : throw ApiError.BadRequest($"{field} is longer than {MaxSourceChars} characters", field);

    private static void RejectExtra(JsonElement obj, string path, params string[] allowed)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                throw ApiError.Unsupported(path + "." + p.Name);
            }
        }
    }

    private static bool ValidName(string name)
    {
        if (name.Length is 0 or > 64)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}
