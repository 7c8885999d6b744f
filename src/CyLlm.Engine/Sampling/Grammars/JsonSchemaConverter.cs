using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Writes GBNF for one JSON schema. Supported: type (and type arrays), properties, required,
/// additionalProperties (false; true; a schema: extra keys are then any key not declared; absent: false when the object
/// declares properties — strict mode, as XGrammar — else any key), enum,
/// const, items, minItems, maxItems, minLength, maxLength, pattern, format (uuid, date, time, date-time),
/// integer minimum/maximum/exclusive bounds (exact), number whole-number minimum/maximum (exact), anyOf/oneOf (as anyOf), allOf with one
/// member, $ref to any JSON pointer in the document (recursion allowed); annotations are ignored. Any other
/// keyword is refused naming it and its path: a schema is never accepted with a constraint ignored.
/// </summary>
internal sealed class JsonSchemaConverter
{
    /// <summary>Upper bound on digits of an unbounded integer (and the integer part of a number).</summary>
    private const int MaxDigits = 16;

    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "description", "title", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly", "$defs", "definitions",
    };

    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "anyOf", "oneOf", "allOf", "$ref", "uniqueItems",
    };


    private readonly JsonElement _root;
    private readonly string _p;
    private readonly StringBuilder _rules = new();
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);
    private int _counter;

    private readonly bool _compact;

    /// <param name="compact">At most one space between tokens (the default, as Outlines does) instead of up to 20
    /// whitespace characters: a model that knows nothing of JSON otherwise spends its whole budget on padding
    /// (stories260K did, under both response_format and GetResponseAsync&lt;T&gt;) and the document never completes.</param>
    public JsonSchemaConverter(JsonElement root, string prefix, bool compact = true)
    {
        _root = root;
        _p = prefix;
        _compact = compact;
    }

    public string Rules => _rules.ToString();

    public string Convert(string path)
    {
        string expr = Schema(_root, path, "root");
        return NamedRule("root", expr);
    }

    public string AnyObjectRule()
    {
        EnsurePrimitives();
        return _p + "object";
    }

    private string Schema(JsonElement s, string path, string hint)
    {
        if (s.ValueKind == JsonValueKind.True)
        {
            return Value();
        }

        if (s.ValueKind == JsonValueKind.False)
        {
            throw Refuse(path, "the schema false matches nothing");
        }

        if (s.ValueKind != JsonValueKind.Object)
        {
            throw Refuse(path, "a schema must be an object or a boolean");
        }

        var constraints = new List<string>();
        foreach (var prop in s.EnumerateObject())
        {
            if (Annotations.Contains(prop.Name))
            {
                continue;
            }

            if (!Supported.Contains(prop.Name))
            {
                throw Refuse(path, $"keyword \"{prop.Name}\" is not supported");
            }

            if (prop.Name == "uniqueItems")
            {
                if (prop.Value.ValueKind == JsonValueKind.True)
                {
                    throw Refuse(path, "keyword \"uniqueItems\" is not supported (only false)");
                }

                continue;
            }

            constraints.Add(prop.Name);
        }

        if (s.TryGetProperty("$ref", out var reference))
        {
            if (constraints.Count > 1)
            {
                throw Refuse(path, $"keyword \"{constraints.First(c => c != "$ref")}\" beside \"$ref\" is not supported");
            }

            return Ref(reference, path);
        }

        foreach (string combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (!s.TryGetProperty(combinator, out var list))
            {
                continue;
            }

            if (constraints.Count > 1)
            {
                throw Refuse(path, $"keyword \"{constraints.First(c => c != combinator)}\" beside \"{combinator}\" is not supported");
            }

            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                throw Refuse(path + "." + combinator, "must be a non-empty array");
            }

            if (combinator == "allOf")
            {
                if (list.GetArrayLength() != 1)
                {
                    throw Refuse(path, "keyword \"allOf\" is supported only with a single schema");
                }

                return Schema(list[0], path + ".allOf[0]", hint);
            }

            var alts = new List<string>();
            int i = 0;
            foreach (var sub in list.EnumerateArray())
            {
                alts.Add(Schema(sub, $"{path}.{combinator}[{i}]", hint + "-" + i.ToString(CultureInfo.InvariantCulture)));
                i++;
            }

            return "(" + string.Join(" | ", alts) + ")";
        }

        var types = Types(s, path);
        if (s.TryGetProperty("const", out var constant))
        {
            return EnumOf([constant], types, constraints, path, "const");
        }

        if (s.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
            {
                throw Refuse(path + ".enum", "must be a non-empty array");
            }

            return EnumOf([.. values.EnumerateArray()], types, constraints, path, "enum");
        }

        if (types is null)
        {
            types = InferType(s, constraints, path);
            if (types is null)
            {
                return Value();
            }
        }

        var branches = new List<string>();
        foreach (string t in types)
        {
            branches.Add(t switch
            {
                "object" => ObjectSchema(s, path, hint),
                "array" => ArraySchema(s, path, hint),
                "string" => StringSchema(s, path, hint),
                "integer" => IntegerSchema(s, path),
                "number" => NumberSchema(s, path),
                "boolean" => "(\"true\" | \"false\")",
                "null" => "\"null\"",
                _ => throw Refuse(path + ".type", $"unknown type \"{t}\""),
            });
        }

        return branches.Count == 1 ? branches[0] : "(" + string.Join(" | ", branches) + ")";
    }

    private static List<string>? Types(JsonElement s, string path)
    {
        if (!s.TryGetProperty("type", out var type))
        {
            return null;
        }

        if (type.ValueKind == JsonValueKind.String)
        {
            return [type.GetString()!];
        }

        if (type.ValueKind == JsonValueKind.Array && type.GetArrayLength() > 0)
        {
            var list = new List<string>();
            foreach (var t in type.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String)
                {
                    throw Refuse(path + ".type", "must be a string or an array of strings");
                }

                list.Add(t.GetString()!);
            }

            return list;
        }

        throw Refuse(path + ".type", "must be a string or an array of strings");
    }

    /// <summary>Without "type", constraints of one kind imply it; constraints of several kinds (or none) cannot be
    /// enforced without knowing the type, except an empty schema, which is any value (null returned).</summary>
    private static List<string>? InferType(JsonElement s, List<string> constraints, string path)
    {
        var kinds = new HashSet<string>();
        foreach (string c in constraints)
        {
            kinds.Add(c switch
            {
                "properties" or "required" or "additionalProperties" => "object",
                "items" or "minItems" or "maxItems" => "array",
                "minLength" or "maxLength" or "pattern" or "format" => "string",
                _ => "number",
            });
        }

        if (kinds.Count == 0)
        {
            return null;
        }

        if (kinds.Count > 1 || kinds.Contains("number"))
        {
            throw Refuse(path, $"keyword \"{constraints[0]}\" without \"type\" is not supported; add \"type\"");
        }

        _ = s;
        return [kinds.First()];
    }

    private string EnumOf(List<JsonElement> values, List<string>? types, List<string> constraints, string path, string keyword)
    {
        foreach (string c in constraints)
        {
            if (c != "type" && c != keyword)
            {
                throw Refuse(path, $"keyword \"{c}\" beside \"{keyword}\" is not supported");
            }
        }

        var texts = new List<string>();
        foreach (var v in values)
        {
            if (types is null || types.Exists(t => Matches(v, t)))
            {
                texts.Add(CompactJson(v));
            }
        }

        if (texts.Count == 0)
        {
            throw Refuse(path, $"no \"{keyword}\" value has the schema's type");
        }

        return GbnfText.Alternatives(texts);
    }

    private static bool Matches(JsonElement v, string type) => type switch
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

    private string Ref(JsonElement reference, string path)
    {
        if (reference.ValueKind != JsonValueKind.String)
        {
            throw Refuse(path + ".$ref", "must be a string");
        }

        string r = reference.GetString()!;
        if (_refs.TryGetValue(r, out string? name))
        {
            return name;
        }

        if (!r.StartsWith('#'))
        {
            throw Refuse(path + ".$ref", $"only references inside the document (#/$defs/..., #/definitions/...) are supported, not \"{r}\"");
        }

        var target = _root;
        string targetPath = "schema";
        foreach (string raw in r.Length > 1 ? r[2..].Split('/') : [])
        {
            string seg = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (target.ValueKind == JsonValueKind.Object && target.TryGetProperty(seg, out var next))
            {
                target = next;
            }
            else if (target.ValueKind == JsonValueKind.Array && int.TryParse(seg, NumberStyles.None, CultureInfo.InvariantCulture, out int idx) && idx < target.GetArrayLength())
            {
                target = target[idx];
            }
            else
            {
                throw Refuse(path + ".$ref", $"reference \"{r}\" does not resolve");
            }

            targetPath += "." + seg;
        }

        name = _p + "ref-" + Sanitize(r.Length > 2 ? r[2..] : "root") + "-" + (_counter++).ToString(CultureInfo.InvariantCulture);
        _refs[r] = name;
        string body = Schema(target, targetPath, name);
        AddRule(name, body);
        return name;
    }

    private string ObjectSchema(JsonElement s, string path, string hint)
    {
        EnsurePrimitives();
        var names = new List<string>();
        var schemas = new Dictionary<string, (JsonElement Schema, string Path)>(StringComparer.Ordinal);
        if (s.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind != JsonValueKind.Object)
            {
                throw Refuse(path + ".properties", "must be an object");
            }

            foreach (var p in props.EnumerateObject())
            {
                names.Add(p.Name);
                schemas[p.Name] = (p.Value, path + ".properties." + p.Name);
            }
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        if (s.TryGetProperty("required", out var req))
        {
            if (req.ValueKind != JsonValueKind.Array)
            {
                throw Refuse(path + ".required", "must be an array of strings");
            }

            foreach (var r in req.EnumerateArray())
            {
                if (r.ValueKind != JsonValueKind.String)
                {
                    throw Refuse(path + ".required", "must be an array of strings");
                }

                string n = r.GetString()!;
                required.Add(n);
                if (!schemas.ContainsKey(n))
                {
                    // Required but undeclared: any value, listed after the declared ones.
                    names.Add(n);
                    schemas[n] = (default, path + ".required");
                }
            }
        }

        string? extraValue = null;
        bool declared = s.TryGetProperty("properties", out var declaredProps) && declaredProps.ValueKind == JsonValueKind.Object && declaredProps.EnumerateObject().Any();
        if (!s.TryGetProperty("additionalProperties", out var addl))
        {
            // Strict mode, as XGrammar's default and OpenAI's strict schemas: an object that declares its properties
            // gets no others unless additionalProperties says so (a model otherwise invents keys until its budget runs
            // out — GetResponseAsync<T>'s schemas omit the keyword). An object that declares none is any object.
            extraValue = declared ? null : Value();
        }
        else if (addl.ValueKind == JsonValueKind.True)
        {
            extraValue = Value();
        }
        else if (addl.ValueKind == JsonValueKind.Object)
        {
            extraValue = Schema(addl, path + ".additionalProperties", hint + "-additional");
        }
        else if (addl.ValueKind != JsonValueKind.False)
        {
            throw Refuse(path + ".additionalProperties", "must be a boolean or a schema");
        }

        if (names.Count == 0 && extraValue == Value())
        {
            return _p + "object";
        }

        // Required first (schema order), then optional (schema order), then any extra keys.
        var items = new List<(string Kv, bool Required)>();
        foreach (string n in names.Where(required.Contains).Concat(names.Where(n => !required.Contains(n))))
        {
            var (schema, propPath) = schemas[n];
            string value = schema.ValueKind == JsonValueKind.Undefined ? Value() : Schema(schema, propPath, hint + "-" + n);
            string kv = AddRule(Unique(hint + "-" + n + "-kv"), GbnfText.Literal(JsonString(n)) + " " + _p + "ws \":\" " + _p + "ws " + value + " " + _p + "ws");
            items.Add((kv, required.Contains(n)));
        }

        string? extra = null;
        if (extraValue is not null)
        {
            string key = NotKeyRule(names, hint);
            extra = AddRule(Unique(hint + "-extra-kv"), key + " " + _p + "ws \":\" " + _p + "ws " + extraValue + " " + _p + "ws");
        }

        // first(i): the members from item i on when none was written yet; rest(i): after at least one (comma first).
        string tailRest = extra is null ? "" : "(\",\" " + _p + "ws " + extra + ")*";
        string tailFirst = extra is null ? "" : "(" + extra + " " + tailRest + ")?";
        var rest = new string[items.Count + 1];
        rest[items.Count] = tailRest;
        for (int i = items.Count - 1; i >= 0; i--)
        {
            string body = items[i].Required
                ? "\",\" " + _p + "ws " + items[i].Kv + " " + rest[i + 1]
                : "(\",\" " + _p + "ws " + items[i].Kv + ")? " + rest[i + 1];
            rest[i] = i + 1 == items.Count && extra is null && !items[i].Required ? body : AddRule(Unique(hint + "-rest"), body);
        }

        string first = tailFirst;
        for (int i = items.Count - 1; i >= 0; i--)
        {
            string body = items[i].Kv + " " + rest[i + 1];
            if (!items[i].Required)
            {
                body = "(" + body + (first.Length > 0 ? " | " + first : " | ") + ")";
            }

            first = AddRule(Unique(hint + "-first"), body);
        }

        return "\"{\" " + _p + "ws " + first + " \"}\"";
    }

    /// <summary>A JSON string key equal to none of <paramref name="keys"/> (written without escapes, so no escaped
    /// spelling of a declared key can slip through): a trie of the keys where leaving the trie is free.</summary>
    private string NotKeyRule(List<string> keys, string hint)
    {
        const string Excluded = "\"\\\\\\x00-\\x1F";
        if (keys.Count == 0)
        {
            return "\"\\\"\" [^" + Excluded + "]* \"\\\"\"";
        }

        string baseName = Unique(hint + "-key");
        // The keys' trie by code point: prefix → the code points that continue some key.
        var children = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal) { [""] = [] };
        foreach (string k in keys)
        {
            string prefix = "";
            foreach (var rune in k.EnumerateRunes())
            {
                children[prefix].Add(rune.Value);
                prefix += rune.ToString();
                children.TryAdd(prefix, []);
            }
        }

        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        int n = 0;
        foreach (string p in children.Keys)
        {
            ids[p] = baseName + "-" + (n++).ToString(CultureInfo.InvariantCulture);
        }

        var keySet = new HashSet<string>(keys, StringComparer.Ordinal);
        foreach (var (p, next) in children)
        {
            // Quote, backslash and controls never appear raw in an extra key (it is written without escapes), so a
            // key containing them needs no branch: no extra key can spell it.
            var raw = next.Where(c => c >= 0x20 && c != '"' && c != '\\').ToList();
            var cls = new StringBuilder("[^" + Excluded);
            foreach (int c in raw)
            {
                GbnfText.AppendChar(cls, c, inClass: true);
            }

            cls.Append(']');
            var alts = new List<string> { cls + " [^" + Excluded + "]* \"\\\"\"" };
            foreach (int c in raw)
            {
                alts.Add(GbnfText.Literal(char.ConvertFromUtf32(c)) + " " + ids[p + char.ConvertFromUtf32(c)]);
            }

            if (!keySet.Contains(p))
            {
                alts.Add("\"\\\"\"");
            }

            AddRule(ids[p], string.Join(" | ", alts));
        }

        return "\"\\\"\" " + ids[""];
    }

    private string ArraySchema(JsonElement s, string path, string hint)
    {
        EnsurePrimitives();
        foreach (string k in (ReadOnlySpan<string>)["prefixItems", "contains"])
        {
            if (s.TryGetProperty(k, out _))
            {
                throw Refuse(path, $"keyword \"{k}\" is not supported");
            }
        }

        string item = s.TryGetProperty("items", out var items) ? Schema(items, path + ".items", hint + "-item") : Value();
        int min = Count(s, "minItems", path) ?? 0;
        int? max = Count(s, "maxItems", path);
        if (max < min)
        {
            throw Refuse(path, "maxItems is below minItems");
        }

        if (max == 0)
        {
            return "\"[\" " + _p + "ws \"]\"";
        }

        string one = AddRule(Unique(hint + "-item"), item + " " + _p + "ws");
        string more = "(\",\" " + _p + "ws " + one + ")";
        string tail = Repeat(more, Math.Max(0, min - 1), max is int m ? m - 1 : null, path);
        string body = one + " " + tail;
        return min == 0
            ? "\"[\" " + _p + "ws (" + body + ")? \"]\""
            : "\"[\" " + _p + "ws " + body + " \"]\"";
    }

    private string StringSchema(JsonElement s, string path, string hint)
    {
        EnsurePrimitives();
        int? minLen = Count(s, "minLength", path);
        int? maxLen = Count(s, "maxLength", path);
        bool hasPattern = s.TryGetProperty("pattern", out var pattern);
        bool hasFormat = s.TryGetProperty("format", out var format);
        if ((hasPattern || hasFormat) && (minLen is not null || maxLen is not null))
        {
            throw Refuse(path, $"keyword \"{(minLen is not null ? "minLength" : "maxLength")}\" together with \"{(hasPattern ? "pattern" : "format")}\" is not supported");
        }

        if (hasPattern && hasFormat)
        {
            throw Refuse(path, "keyword \"format\" together with \"pattern\" is not supported");
        }

        if (hasPattern)
        {
            if (pattern.ValueKind != JsonValueKind.String)
            {
                throw Refuse(path + ".pattern", "must be a string");
            }

            try
            {
                return AddRule(Unique(hint + "-pattern"), "\"\\\"\" " + RegexGrammar.ToGbnf(pattern.GetString()!, jsonString: true, anchoredSearch: true) + " \"\\\"\"");
            }
            catch (GrammarException e)
            {
                throw Refuse(path + ".pattern", e.Message);
            }
        }

        if (hasFormat)
        {
            string digit = "[0-9]";
            string date = digit + "{4} \"-\" (\"0\" [1-9] | \"1\" [0-2]) \"-\" (\"0\" [1-9] | [12] [0-9] | \"3\" [01])";
            string time = "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" ([0-5] [0-9] | \"60\") (\".\" [0-9]{1,9})? (\"Z\" | [+\\-] ([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9])";
            string hex = "[0-9a-fA-F]";
            string body = format.GetString() switch
            {
                "uuid" => $"{hex}{{8}} \"-\" {hex}{{4}} \"-\" {hex}{{4}} \"-\" {hex}{{4}} \"-\" {hex}{{12}}",
                "date" => date,
                "time" => time,
                "date-time" => date + " \"T\" " + time,
                var f => throw Refuse(path + ".format", $"format \"{f}\" is not supported (uuid, date, time and date-time are)"),
            };
            return "\"\\\"\" " + body + " \"\\\"\"";
        }

        if (minLen is null && maxLen is null)
        {
            return _p + "string";
        }

        if (maxLen < minLen)
        {
            throw Refuse(path, "maxLength is below minLength");
        }

        return "\"\\\"\" " + Repeat(_p + "char", minLen ?? 0, maxLen, path) + " \"\\\"\"";
    }

    private string IntegerSchema(JsonElement s, string path)
    {
        long? lo = null;
        long? hi = null;
        if (Bound(s, "minimum", path) is { } min)
        {
            lo = (long)Math.Ceiling(min);
        }

        if (Bound(s, "exclusiveMinimum", path) is { } emin)
        {
            long v = (long)Math.Floor(emin) + 1;
            lo = lo is null ? v : Math.Max(lo.Value, v);
        }

        if (Bound(s, "maximum", path) is { } max)
        {
            hi = (long)Math.Floor(max);
        }

        if (Bound(s, "exclusiveMaximum", path) is { } emax)
        {
            long v = (long)Math.Ceiling(emax) - 1;
            hi = hi is null ? v : Math.Min(hi.Value, v);
        }

        if (lo is null && hi is null)
        {
            EnsurePrimitives();
            return _p + "integer";
        }

        long limit = (long)Math.Pow(10, MaxDigits) - 1;
        long a = lo ?? -limit;
        long b = hi ?? limit;
        if (a > b)
        {
            throw Refuse(path, "the integer bounds admit no value");
        }

        var alts = new List<string>();
        if (a < 0)
        {
            alts.Add("\"-\" " + NonNegative(Math.Max(1, -Math.Min(b, -1)), -a));
        }

        if (b >= 0)
        {
            alts.Add(NonNegative(Math.Max(0, a), b));
        }

        return "(" + string.Join(" | ", alts) + ")";
    }

    private static decimal? Bound(JsonElement s, string keyword, string path)
    {
        if (!s.TryGetProperty(keyword, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out decimal d))
        {
            throw Refuse(path + "." + keyword, "must be a number");
        }

        if (Math.Abs(d) >= (decimal)Math.Pow(10, MaxDigits))
        {
            throw Refuse(path + "." + keyword, $"bounds beyond ±10^{MaxDigits} are not supported");
        }

        return d;
    }

    /// <summary>Decimal numerals of [a, b] (0 ≤ a ≤ b) without leading zeros: one digit-range expression per length.</summary>
    private static string NonNegative(long a, long b)
    {
        var alts = new List<string>();
        string sa = a.ToString(CultureInfo.InvariantCulture);
        string sb = b.ToString(CultureInfo.InvariantCulture);
        for (int len = sa.Length; len <= sb.Length; len++)
        {
            string lo = len == sa.Length ? sa : "1" + new string('0', len - 1);
            string hi = len == sb.Length ? sb : new string('9', len);
            alts.Add(DigitRange(lo, hi));
        }

        return alts.Count == 1 ? alts[0] : "(" + string.Join(" | ", alts) + ")";
    }

    /// <summary>Equal-length digit strings between <paramref name="lo"/> and <paramref name="hi"/> inclusive.</summary>
    private static string DigitRange(string lo, string hi)
    {
        if (lo.Length == 0)
        {
            return "\"\"";
        }

        if (lo == hi)
        {
            return "\"" + lo + "\"";
        }

        int n = lo.Length;
        if (lo[0] == hi[0])
        {
            return "\"" + lo[0] + "\" " + DigitRange(lo[1..], hi[1..]);
        }

        string anyTail = n > 1 ? " [0-9]{" + (n - 1).ToString(CultureInfo.InvariantCulture) + "}" : "";
        if (lo[1..].All(c => c == '0') && hi[1..].All(c => c == '9'))
        {
            return "[" + lo[0] + "-" + hi[0] + "]" + anyTail;
        }

        var alts = new List<string> { "\"" + lo[0] + "\" " + DigitRange(lo[1..], new string('9', n - 1)) };
        if (lo[0] + 1 <= hi[0] - 1)
        {
            alts.Add("[" + (char)(lo[0] + 1) + "-" + (char)(hi[0] - 1) + "]" + anyTail);
        }

        alts.Add("\"" + hi[0] + "\" " + DigitRange(new string('0', n - 1), hi[1..]));
        return "(" + string.Join(" | ", alts) + ")";
    }

    /// <summary>
    /// Numbers, with whole-number minimum/maximum enforced exactly: the integer part is bounded by digit ranges, a
    /// value at a bound may only have a zero fraction, and a bounded number is written without an exponent.
    /// Exclusive or fractional bounds are refused.
    /// </summary>
    private string NumberSchema(JsonElement s, string path)
    {
        EnsurePrimitives();
        foreach (string k in (ReadOnlySpan<string>)["exclusiveMinimum", "exclusiveMaximum"])
        {
            if (s.TryGetProperty(k, out _))
            {
                throw Refuse(path, $"keyword \"{k}\" on a number is not supported (use minimum/maximum, or type integer)");
            }
        }

        decimal? min = Bound(s, "minimum", path);
        decimal? max = Bound(s, "maximum", path);
        if (min is null && max is null)
        {
            return _p + "number";
        }

        if ((min is { } a0 && decimal.Truncate(a0) != a0) || (max is { } b0 && decimal.Truncate(b0) != b0))
        {
            throw Refuse(path, "keyword \"minimum\"/\"maximum\" on a number is supported only with whole-number bounds");
        }

        long limit = (long)Math.Pow(10, MaxDigits) - 1;
        long lo = min is { } mn ? (long)mn : -limit;
        long hi = max is { } mx ? (long)mx : limit;
        if (lo > hi)
        {
            throw Refuse(path, "the number bounds admit no value");
        }

        string anyFrac = " (\".\" [0-9]{1,16})?";
        string zeroFrac = " (\".\" \"0\"{1,16})?";
        string Lit(long v) => "\"" + v.ToString(CultureInfo.InvariantCulture) + "\"";
        var alts = new List<string>();
        if (hi >= 0)
        {
            // Written without '-': integer part m ≥ max(lo, 0); m < hi takes any fraction, m = hi only zeros.
            long a = Math.Max(lo, 0);
            if (a <= hi - 1)
            {
                alts.Add(NonNegative(a, hi - 1) + anyFrac);
            }

            alts.Add(Lit(hi) + zeroFrac);
        }

        if (lo < 0)
        {
            // Written "-m.f" = −(m.f): it is ≥ lo when m.f ≤ −lo and ≤ hi (hi < 0) when m ≥ −hi.
            long m0 = hi >= 0 ? 0 : -hi;
            if (m0 <= -lo - 1)
            {
                alts.Add("\"-\" " + NonNegative(m0, -lo - 1) + anyFrac);
            }

            alts.Add("\"-\" " + Lit(-lo) + zeroFrac);
        }

        return "(" + string.Join(" | ", alts) + ")";
    }

    private static int? Count(JsonElement s, string keyword, string path)
    {
        if (!s.TryGetProperty(keyword, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0)
        {
            throw Refuse(path + "." + keyword, "must be a non-negative integer");
        }

        if (n > GrammarBuilder.MaxRepetition)
        {
            throw Refuse(path + "." + keyword, $"values above {GrammarBuilder.MaxRepetition} are not supported");
        }

        return n;
    }

    private static string Repeat(string element, int min, int? max, string path)
    {
        _ = path;
        string e = "(" + element + ")";
        if (max is null)
        {
            return min == 0 ? e + "*" : e + "{" + min.ToString(CultureInfo.InvariantCulture) + ",}";
        }

        return max == 0 ? "" : e + "{" + min.ToString(CultureInfo.InvariantCulture) + "," + max.Value.ToString(CultureInfo.InvariantCulture) + "}";
    }

    private string Value()
    {
        EnsurePrimitives();
        return _p + "value";
    }

    private void EnsurePrimitives()
    {
        if (!_defined.Add(_p + "value"))
        {
            return;
        }

        string p = _p;
        string max = (MaxDigits - 1).ToString(CultureInfo.InvariantCulture);
        _rules.Append(p).Append(_compact ? "ws ::= \" \"?\n" : "ws ::= [ \\t\\n]{0,20}\n");
        _rules.Append(p).Append("char ::= [^\"\\\\\\x00-\\x1F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})\n");
        _rules.Append(p).Append("string ::= \"\\\"\" ").Append(p).Append("char* \"\\\"\"\n");
        _rules.Append(p).Append("integer ::= \"-\"? (\"0\" | [1-9] [0-9]{0,").Append(max).Append("})\n");
        _rules.Append(p).Append("frac ::= (\".\" [0-9]{1,16})? ([eE] [\\-+]? [0-9]{1,3})?\n");
        _rules.Append(p).Append("number ::= ").Append(p).Append("integer ").Append(p).Append("frac\n");
        _rules.Append(p).Append("value ::= ").Append(p).Append("object | ").Append(p).Append("array | ").Append(p).Append("string | ")
            .Append(p).Append("number | \"true\" | \"false\" | \"null\"\n");
        _rules.Append(p).Append("member ::= ").Append(p).Append("string ").Append(p).Append("ws \":\" ").Append(p).Append("ws ").Append(p).Append("value ").Append(p).Append("ws\n");
        _rules.Append(p).Append("object ::= \"{\" ").Append(p).Append("ws (").Append(p).Append("member (\",\" ").Append(p).Append("ws ").Append(p).Append("member)*)? \"}\"\n");
        _rules.Append(p).Append("element ::= ").Append(p).Append("value ").Append(p).Append("ws\n");
        _rules.Append(p).Append("array ::= \"[\" ").Append(p).Append("ws (").Append(p).Append("element (\",\" ").Append(p).Append("ws ").Append(p).Append("element)*)? \"]\"\n");
    }

    private string NamedRule(string hint, string expr) => AddRule(Unique(hint), expr);

    private string AddRule(string name, string body)
    {
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private string Unique(string hint) => _p + Sanitize(hint) + "-" + (_counter++).ToString(CultureInfo.InvariantCulture);

    private static string Sanitize(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 40));
        foreach (char c in s)
        {
            if (sb.Length >= 40)
            {
                break;
            }

            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-');
        }

        return sb.Length == 0 ? "r" : sb.ToString();
    }

    /// <summary>The value as compact JSON with characters written raw (only quote, backslash and controls escaped),
    /// as a model writes them; the serializer's encoders would escape every non-BMP character.</summary>
    private static string CompactJson(JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
                return "{" + string.Join(",", v.EnumerateObject().Select(p => JsonString(p.Name) + ":" + CompactJson(p.Value))) + "}";
            case JsonValueKind.Array:
                return "[" + string.Join(",", v.EnumerateArray().Select(CompactJson)) + "]";
            case JsonValueKind.String:
                return JsonString(v.GetString()!);
            default:
                return v.GetRawText();
        }
    }

    private static string JsonString(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }

        sb.Append('"');
        return sb.ToString();
    }

    private static GrammarException Refuse(string path, string what) => new($"{path}: {what}");
}
