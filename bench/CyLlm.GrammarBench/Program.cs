using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Sampling.Grammars;

// Structured-output costs, printed (not a test): compile time of a generated 100-field schema, vocabulary trie
// build, and the per-token mask cost over a model's vocabulary along random constrained walks (cold: fresh grammar,
// every state's mask computed; warm: the same grammar again, masks from the shared cache).
// dotnet run -c Release --project bench/CyLlm.GrammarBench -- [model.gguf]
string model = args.Length > 0 ? args[0] : Path.Combine(FindRoot(), "..", "shared", "models", "llama-2-tiny-random.gguf");

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

static string WideSchema(int fields, string salt)
{
    var props = new List<string>();
    var req = new List<string>();
    string[] kinds =
    [
        """{"type":"string","maxLength":40}""", """{"type":"integer","minimum":0,"maximum":1000}""", """{"type":"number"}""",
        """{"type":"boolean"}""", """{"enum":["a","b","c"]}""", """{"type":"array","items":{"type":"string"},"maxItems":5}""",
        """{"type":["string","null"]}""", """{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"],"additionalProperties":false}""",
    ];
    for (int i = 0; i < fields; i++)
    {
        props.Add($"\"field_{i}_{salt}\":{kinds[i % kinds.Length]}");
        if (i % 3 != 2)
        {
            req.Add($"\"field_{i}_{salt}\"");
        }
    }

    return "{\"type\":\"object\",\"properties\":{" + string.Join(",", props) + "},\"required\":[" + string.Join(",", req) + "],\"additionalProperties\":false}";
}

// Compile: the first includes JIT; then fresh schemas (new salts defeat the cache).
var times = new List<double>();
for (int i = 0; i < 12; i++)
{
    var schema = JsonDocument.Parse(WideSchema(100, "s" + i)).RootElement;
    long t0 = Stopwatch.GetTimestamp();
    var g = Grammar.FromJsonSchema(schema);
    times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    if (i == 0)
    {
        Console.WriteLine($"100-field schema: {g.RuleCount} rules; first compile (with JIT) {times[0]:F1} ms");
    }
}

var warm = times.Skip(1).Order().ToList();
Console.WriteLine($"100-field schema compile: median {warm[warm.Count / 2]:F2} ms, max {warm[^1]:F2} ms (11 fresh schemas)");
var open = new List<double>();
for (int i = 0; i < 11; i++)
{
    // Without additionalProperties: extra keys allowed, except the 100 declared ones (the exclusion trie).
    var schema = JsonDocument.Parse(WideSchema(100, "o" + i).Replace(",\"additionalProperties\":false}", "}", StringComparison.Ordinal)).RootElement;
    long t0 = Stopwatch.GetTimestamp();
    Grammar.FromJsonSchema(schema);
    open.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
}

open.Sort();
Console.WriteLine($"100-field open schema (extra keys allowed) compile: median {open[open.Count / 2]:F2} ms, max {open[^1]:F2} ms");

using var engine = InferenceEngine.Load(model, null, new EngineOptions { Threads = 1 });
var tok = engine.Tokenizer ?? throw new InvalidOperationException("model has no tokenizer");
long tv = Stopwatch.GetTimestamp();
var vocab = TokenVocabulary.For(tok);
Console.WriteLine($"vocabulary {vocab.Count} tokens ({Path.GetFileName(model)}): trie built in {Stopwatch.GetElapsedTime(tv).TotalMilliseconds:F1} ms");

void Walk(string label, Grammar g, int seed, int steps)
{
    var rng = new Random(seed);
    var m = new GrammarMatcher(g, vocab);
    var mask = new ulong[(vocab.Count + 63) / 64];
    var costs = new List<double>();
    var allowed = new List<int>();
    var trace = new StringBuilder();
    for (int s = 0; s < steps && !m.IsComplete; s++)
    {
        long t0 = Stopwatch.GetTimestamp();
        m.FillMask(mask);
        costs.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        if (Environment.GetEnvironmentVariable("GRAMMAR_BENCH_TRACE") is not null && costs[^1] > 1000)
        {
            Console.WriteLine($"  slow mask {costs[^1]:F0} µs at step {s}, {m.StackCount} stacks, {mask.Sum(w => (long)System.Numerics.BitOperations.PopCount(w))} allowed; text tail: {trace.ToString()[Math.Max(0, trace.Length - 60)..]}");
        }
        allowed.Clear();
        for (int id = 0; id < vocab.Count; id++)
        {
            if ((mask[id >> 6] & (1UL << (id & 63))) != 0 && !vocab.EndOfGenerationIds.Contains(id))
            {
                allowed.Add(id);
            }
        }

        if (allowed.Count == 0)
        {
            break;
        }

        int pick = allowed[rng.Next(allowed.Count)];
        m.Accept(pick);
        trace.Append(tok.Decode([pick]));
    }

    costs.Sort();
    Console.WriteLine($"{label}: {costs.Count} tokens, mask mean {costs.Average():F0} µs, p50 {costs[costs.Count / 2]:F0} µs, p90 {costs[(int)(costs.Count * 0.9)]:F0} µs, max {costs[^1]:F0} µs");
}

var wide = Grammar.FromJsonSchema(JsonDocument.Parse(WideSchema(100, "walk")).RootElement);
Walk("100-field schema, cold cache", wide, 1, 400);
Walk("100-field schema, warm cache", wide, 1, 400);
Walk("json_object, cold-ish cache", Grammar.FromGbnf(JsonSchemaGrammar.AnyObjectGbnf() + "# " + Guid.NewGuid()), 2, 400);
var sb = new StringBuilder("root ::= \"\\\"\" [^\"]* \"\\\"\"\n");
Walk("free string (most tokens allowed), cold, first (JIT)", Grammar.FromGbnf(sb.ToString() + "# " + Guid.NewGuid()), 3, 50);
Walk("free string (most tokens allowed), cold", Grammar.FromGbnf(sb.ToString() + "# " + Guid.NewGuid()), 3, 50);
var wide2 = Grammar.FromJsonSchema(JsonDocument.Parse(WideSchema(100, "walk2")).RootElement);
Walk("100-field schema (another), cold cache, after JIT", wide2, 4, 400);

// The full sweep (nearly every token allowed) is the worst case of a cache miss; min over fresh grammars is robust
// to a busy machine.
double best = double.MaxValue;
var fullMask = new ulong[(vocab.Count + 63) / 64];
for (int i = 0; i < 30; i++)
{
    var m = new GrammarMatcher(Grammar.FromGbnf(sb.ToString() + "# sweep " + i + " " + Guid.NewGuid()), vocab);
    m.AcceptBytes("\""u8);
    long t0 = Stopwatch.GetTimestamp();
    m.FillMask(fullMask);
    best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
}

Console.WriteLine($"full sweep (string content, {fullMask.Sum(w => (long)System.Numerics.BitOperations.PopCount(w))} tokens allowed): min {best:F0} µs over 30 fresh grammars");

// A 150k-token vocabulary (the model's pieces plus 118k concatenations of two or three of them, seeded) for the scale
// of Llama 3 / Qwen vocabularies, which these test models do not have.
var pieceBytes = Enumerable.Range(0, vocab.Count).Select(id => tok.PieceBytes(id).ToArray()).ToList();
var rngBig = new Random(11);
var big = new List<byte[]>(pieceBytes);
var seen = new HashSet<string>(pieceBytes.Select(Convert.ToBase64String));
while (big.Count < 150_000)
{
    var a = pieceBytes[rngBig.Next(pieceBytes.Count)];
    var b = pieceBytes[rngBig.Next(pieceBytes.Count)];
    var c = rngBig.Next(3) == 0 ? pieceBytes[rngBig.Next(pieceBytes.Count)] : [];
    byte[] joined = [.. a, .. b, .. c];
    if (joined.Length > 0 && joined.Length <= 48 && seen.Add(Convert.ToBase64String(joined)))
    {
        big.Add(joined);
    }
}

long tb = Stopwatch.GetTimestamp();
var bigVocab = new TokenVocabulary(big, tok.EndOfGenerationIds);
Console.WriteLine($"synthetic vocabulary {bigVocab.Count} tokens: trie built in {Stopwatch.GetElapsedTime(tb).TotalMilliseconds:F0} ms");
double bestBig = double.MaxValue;
var bigMask = new ulong[(bigVocab.Count + 63) / 64];
for (int i = 0; i < 10; i++)
{
    var m = new GrammarMatcher(Grammar.FromGbnf(sb.ToString() + "# big " + i + " " + Guid.NewGuid()), bigVocab);
    m.AcceptBytes("\""u8);
    long t0 = Stopwatch.GetTimestamp();
    m.FillMask(bigMask);
    bestBig = Math.Min(bestBig, Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
}

Console.WriteLine($"full sweep over {bigVocab.Count} tokens ({bigMask.Sum(w => (long)System.Numerics.BitOperations.PopCount(w))} allowed): min {bestBig:F0} µs over 10 fresh grammars");
