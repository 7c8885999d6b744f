namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// The source a <see cref="Grammar"/> was compiled from: what travels between processes (a router and its decode
/// workers) instead of the compiled automaton, which holds per-vocabulary caches and has no wire form.
/// <see cref="Grammar.FromSpec"/> compiles it again through the same cache keys as the original factory, so a worker
/// compiles a repeated schema once.
/// </summary>
/// <param name="Kind">How to read <paramref name="Source"/>.</param>
/// <param name="Source">GBNF text, the schema's JSON text, the regex; empty for <see cref="GrammarKind.JsonObject"/>.</param>
/// <param name="Path">For a schema, the JSON path its error messages start with (the request field it came from).</param>
public sealed record GrammarSpec(GrammarKind Kind, string Source, string? Path = null);
