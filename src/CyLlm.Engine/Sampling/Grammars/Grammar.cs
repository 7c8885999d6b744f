using System.Runtime.CompilerServices;
using System.Text.Json;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// A compiled, immutable byte-level grammar: the start rule, every rule's alternatives as element sequences over
/// byte sets and rule calls. Thread-safe; one instance serves any number of <see cref="GrammarMatcher"/>s, which
/// share its per-vocabulary mask cache. Build one with <see cref="FromGbnf"/>, <see cref="FromLark"/>, <see cref="FromJsonSchema"/>,
/// <see cref="FromRegex"/>, <see cref="Choice"/> or <see cref="JsonObject"/> (all cached by their source).
/// </summary>
public sealed class Grammar
{
    /// <summary>Marks the end of an alternative in <see cref="Code"/>.</summary>
    internal const int End = -1;

    private readonly ConditionalWeakTable<TokenVocabulary, MaskCache> _masks = new();

    internal Grammar(string source, int[] code, int[] altStarts, int[] ruleAlt, ulong[] sets, int root, string[] names)
    {
        Source = source;
        Code = code;
        AltStarts = altStarts;
        RuleAlt = ruleAlt;
        Sets = sets;
        Root = root;
        RuleNames = names;
    }

    /// <summary>What the grammar was built from (GBNF text, or a tagged schema/regex/choice); its cache key and
    /// the identity a response cache can key on.</summary>
    public string Source { get; }

    /// <summary>The source to compile this grammar again in another process (<see cref="FromSpec"/>).</summary>
    public GrammarSpec Spec { get; private set; } = new(GrammarKind.Gbnf, "");

    /// <summary>Number of rules after lowering (helper rules included).</summary>
    public int RuleCount => RuleNames.Length;

    /// <summary>Element stream: ≥ 0 a byte-set index, <see cref="End"/> ends an alternative, ≤ −2 calls rule −(e+2).</summary>
    internal int[] Code { get; }

    /// <summary>Start offset in <see cref="Code"/> of every alternative, rule by rule.</summary>
    internal int[] AltStarts { get; }

    /// <summary>Rule r's alternatives are AltStarts[RuleAlt[r] .. RuleAlt[r + 1]).</summary>
    internal int[] RuleAlt { get; }

    /// <summary>Byte sets, 4 words each.</summary>
    internal ulong[] Sets { get; }

    internal int Root { get; }

    internal string[] RuleNames { get; }

    /// <summary>Parses llama.cpp GBNF; <c>root</c> is the start rule. Cached by text.</summary>
    /// <exception cref="GrammarException">A syntax error, an undefined rule, left recursion.</exception>
    public static Grammar FromGbnf(string text) =>
        GrammarCache.Shared.GetOrAdd("gbnf:" + text, () => Compile(text, "root", new GrammarSpec(GrammarKind.Gbnf, text)));

    /// <summary>
    /// Parses a Lark grammar (vLLM's other guided_grammar syntax; <c>start</c> is the start rule), read at the
    /// character level, <c>%ignore</c> included. Cached by text.
    /// </summary>
    /// <exception cref="GrammarException">A syntax error or unsupported construct (with line and column), an
    /// undefined name, left recursion.</exception>
    public static Grammar FromLark(string text) =>
        GrammarCache.Shared.GetOrAdd("lark:" + text, () =>
        {
            try
            {
                return Compile(LarkParser.ToGbnf(text), LarkParser.Root, new GrammarSpec(GrammarKind.Lark, text), "lark:" + text);
            }
            catch (GrammarException e) when (e.Message.Contains("'" + LarkParser.IgnoreRule, StringComparison.Ordinal))
            {
                // The translation's own rule names mean nothing to the grammar's author.
                throw new GrammarException("%ignore: an ignored terminal matches the empty string; it must match at least one character");
            }
        });

    /// <summary>Compiles GBNF without the cache (also what the cached factories call).</summary>
    /// <param name="spec">What the grammar is rebuilt from elsewhere (it may differ from <paramref name="gbnf"/>: a schema's JSON).</param>
    internal static Grammar Compile(string gbnf, string root, GrammarSpec spec, string? source = null)
    {
        var b = new GrammarBuilder();
        GbnfParser.Parse(gbnf, b);
        var grammar = b.Build(root, source ?? gbnf);
        grammar.Spec = spec;
        return grammar;
    }

    /// <summary>
    /// Compiles <paramref name="spec"/> through the factory that made it (same cache key: a grammar received from a
    /// router is compiled once per worker, and the one a worker compiled for itself is reused).
    /// </summary>
    /// <exception cref="GrammarException">The source does not compile (or a schema is not JSON).</exception>
    public static Grammar FromSpec(GrammarSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Kind)
        {
            case GrammarKind.Gbnf:
                return FromGbnf(spec.Source);
            case GrammarKind.Regex:
                return FromRegex(spec.Source);
            case GrammarKind.JsonObject:
                return JsonObject();
            case GrammarKind.Lark:
                return FromLark(spec.Source);
            case GrammarKind.Either:
                var (first, second) = EitherParts(spec.Source);
                return Either(FromSpec(first), FromSpec(second));
            case GrammarKind.JsonSchema:
                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(spec.Source);
                }
                catch (JsonException e)
                {
                    throw new GrammarException($"the schema is not valid JSON: {e.Message}");
                }

                using (doc)
                {
                    // The converter reads the document only while compiling; the grammar keeps no reference to it.
                    return FromJsonSchema(doc.RootElement, spec.Path ?? "schema");
                }

            default:
                throw new GrammarException($"grammar kind {spec.Kind} is not known");
        }
    }

    /// <summary>A grammar for JSON documents valid against <paramref name="schema"/> (OpenAI strict-mode subset).</summary>
    /// <exception cref="GrammarException">A keyword that cannot be enforced, named with its JSON path.</exception>
    public static Grammar FromJsonSchema(JsonElement schema, string path = "schema")
    {
        string key = "schema:" + path + ":" + schema.GetRawText();
        return GrammarCache.Shared.GetOrAdd(key, () =>
        {
            var (rules, root) = JsonSchemaGrammar.ToGbnf(schema, "", path);
            return Compile(rules + "root ::= " + root + "\n", "root", new GrammarSpec(GrammarKind.JsonSchema, schema.GetRawText(), path), key);
        });
    }

    /// <summary>Any JSON object (response_format json_object).</summary>
    public static Grammar JsonObject() => GrammarCache.Shared.GetOrAdd("json_object", () => Compile(JsonSchemaGrammar.AnyObjectGbnf(), "root", new GrammarSpec(GrammarKind.JsonObject, ""), "json_object"));

    /// <summary>Exactly one of <paramref name="choices"/> (vLLM guided_choice).</summary>
    public static Grammar Choice(IReadOnlyList<string> choices)
    {
        if (choices.Count == 0)
        {
            throw new GrammarException("the choice list is empty");
        }

        var sb = new System.Text.StringBuilder("root ::= ");
        sb.Append(GbnfText.Alternatives(choices));
        sb.Append('\n');
        string text = sb.ToString();
        // Sent elsewhere as its GBNF: the choices themselves are not needed to compile it again.
        return GrammarCache.Shared.GetOrAdd("choice:" + text, () => Compile(text, "root", new GrammarSpec(GrammarKind.Gbnf, text)));
    }

    /// <summary>Strings fully matching <paramref name="pattern"/> (vLLM guided_regex; a practical subset).</summary>
    /// <exception cref="GrammarException">Lookarounds, backreferences and other unsupported constructs.</exception>
    public static Grammar FromRegex(string pattern) =>
        GrammarCache.Shared.GetOrAdd("regex:" + pattern, () => Compile("root ::= " + RegexGrammar.ToGbnf(pattern, jsonString: false, anchoredSearch: false) + "\n", "root",
            new GrammarSpec(GrammarKind.Regex, pattern), "regex:" + pattern));

    /// <summary>
    /// Output matching <paramref name="first"/> or <paramref name="second"/> (a chat answer that is either a tool call
    /// or the response_format's JSON). The two grammars' rules are joined under a new start rule with one alternative
    /// each, so neither needs to be written as GBNF again. Cached by both sources.
    /// </summary>
    public static Grammar Either(Grammar first, Grammar second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        // The length prefix keeps the key unambiguous whatever the sources contain.
        string key = "either:" + first.Source.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + first.Source + second.Source;
        return GrammarCache.Shared.GetOrAdd(key, () =>
        {
            var union = Union(first, second, key);
            union.Spec = new GrammarSpec(GrammarKind.Either, EitherSource(first.Spec, second.Spec));
            return union;
        });
    }

    private static string EitherSource(GrammarSpec a, GrammarSpec b) =>
        JsonSerializer.Serialize(new[] { new SpecJson(a.Kind.ToString(), a.Source, a.Path), new SpecJson(b.Kind.ToString(), b.Source, b.Path) });

    private static (GrammarSpec First, GrammarSpec Second) EitherParts(string source)
    {
        SpecJson[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<SpecJson[]>(source);
        }
        catch (JsonException e)
        {
            throw new GrammarException($"an either-grammar's source is not a JSON array of two specs: {e.Message}");
        }

        if (parts is not { Length: 2 } || parts.Any(p => p is null || p.Source is null || !Enum.TryParse<GrammarKind>(p.Kind, out _)))
        {
            throw new GrammarException("an either-grammar's source must be a JSON array of two specs {\"Kind\", \"Source\", \"Path\"}");
        }

        GrammarSpec Spec(SpecJson p) => new(Enum.Parse<GrammarKind>(p.Kind!), p.Source!, p.Path);
        return (Spec(parts[0]), Spec(parts[1]));
    }

    /// <summary>One part of an <see cref="GrammarKind.Either"/> spec on the wire.</summary>
    private sealed record SpecJson(string? Kind, string? Source, string? Path);

    private static Grammar Union(Grammar a, Grammar b, string source)
    {
        int rulesA = a.RuleNames.Length;
        int rulesB = b.RuleNames.Length;
        int setsA = a.Sets.Length / 4;
        var code = new int[a.Code.Length + b.Code.Length + 4];
        a.Code.CopyTo(code, 0);
        for (int i = 0; i < b.Code.Length; i++)
        {
            int e = b.Code[i];
            // Byte sets move past a's sets, rule calls past a's rules; End stays.
            code[a.Code.Length + i] = e >= 0 ? e + setsA : e == End ? End : e - rulesA;
        }

        int rootCode = a.Code.Length + b.Code.Length;
        code[rootCode] = GrammarBuilder.Ref(a.Root);
        code[rootCode + 1] = End;
        code[rootCode + 2] = GrammarBuilder.Ref(b.Root + rulesA);
        code[rootCode + 3] = End;

        var altStarts = new int[a.AltStarts.Length + b.AltStarts.Length + 2];
        a.AltStarts.CopyTo(altStarts, 0);
        for (int i = 0; i < b.AltStarts.Length; i++)
        {
            altStarts[a.AltStarts.Length + i] = b.AltStarts[i] + a.Code.Length;
        }

        altStarts[^2] = rootCode;
        altStarts[^1] = rootCode + 2;

        var ruleAlt = new int[rulesA + rulesB + 2];
        Array.Copy(a.RuleAlt, ruleAlt, rulesA);
        for (int r = 0; r <= rulesB; r++)
        {
            ruleAlt[rulesA + r] = b.RuleAlt[r] + a.AltStarts.Length;
        }

        ruleAlt[^1] = altStarts.Length;
        string[] names = [.. a.RuleNames, .. b.RuleNames, "either"];
        var g = new Grammar(source, code, altStarts, ruleAlt, [.. a.Sets, .. b.Sets], rulesA + rulesB, names);
        // Each part was checked; the bound on the start state is checked again for the union (both starts at once).
        _ = new GrammarMatcher(g, TokenVocabulary.Empty);
        return g;
    }

    internal MaskCache MaskCacheFor(TokenVocabulary vocab) => _masks.GetValue(vocab, v => new MaskCache(v.Count));

    internal bool IsSet(int set, byte b) => (Sets[(set << 2) + (b >> 6)] & (1UL << (b & 63))) != 0;

    /// <summary>
    /// Refuses left recursion (a rule that can call itself before consuming a byte): the matcher expands calls
    /// eagerly and would not terminate on it.
    /// </summary>
    internal void CheckLeftRecursion()
    {
        int n = RuleNames.Length;
        var nullable = new bool[n];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int r = 0; r < n; r++)
            {
                if (nullable[r])
                {
                    continue;
                }

                for (int a = RuleAlt[r]; a < RuleAlt[r + 1]; a++)
                {
                    bool all = true;
                    for (int p = AltStarts[a]; Code[p] != End; p++)
                    {
                        int e = Code[p];
                        if (e >= 0 || !nullable[-(e + 2)])
                        {
                            all = false;
                            break;
                        }
                    }

                    if (all)
                    {
                        nullable[r] = true;
                        changed = true;
                        break;
                    }
                }
            }
        }

        // Left-call edges: r calls s at a point only nullable elements precede.
        var edges = new List<int>[n];
        for (int r = 0; r < n; r++)
        {
            edges[r] = [];
            for (int a = RuleAlt[r]; a < RuleAlt[r + 1]; a++)
            {
                for (int p = AltStarts[a]; Code[p] != End; p++)
                {
                    int e = Code[p];
                    if (e >= 0)
                    {
                        break;
                    }

                    edges[r].Add(-(e + 2));
                    if (!nullable[-(e + 2)])
                    {
                        break;
                    }
                }
            }
        }

        // Iterative DFS cycle detection (grammars may have thousands of rules).
        var color = new byte[n];
        var stack = new Stack<(int Rule, int Edge)>();
        for (int start = 0; start < n; start++)
        {
            if (color[start] != 0)
            {
                continue;
            }

            stack.Push((start, 0));
            color[start] = 1;
            while (stack.Count > 0)
            {
                var (r, i) = stack.Pop();
                if (i < edges[r].Count)
                {
                    stack.Push((r, i + 1));
                    int s = edges[r][i];
                    if (color[s] == 1)
                    {
                        throw new GrammarException(RuleNames[s].Contains("_star_", StringComparison.Ordinal)
                            ? $"rule '{RuleNames[s]}' repeats an element that can match the empty string (x* or x+ where x can be empty); make the element non-empty"
                            : $"rule '{RuleNames[s]}' is left-recursive (it can reach itself without consuming input); rewrite it with repetition");
                    }

                    if (color[s] == 0)
                    {
                        color[s] = 1;
                        stack.Push((s, 0));
                    }
                }
                else
                {
                    color[r] = 2;
                }
            }
        }
    }
}
