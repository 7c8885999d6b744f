using System.CommandLine;
using CyLlm.Engine.KvCache;

namespace CyLlm.Cli.Commands;

/// <summary>`--kv-type f16|f32|q8_0`: element type of the serving engine's paged KV cache.</summary>
internal static class KvTypeOption
{
    public static Option<string> Create() => new("--kv-type")
    {
        Description = "KV cache element type of the serving engine: f16 (default), f32, or q8_0 (half the memory of f16)",
        DefaultValueFactory = _ => "f16",
    };

    /// <summary>The parsed type; an unknown spelling is an ArgumentException (one line on the CLI).</summary>
    public static KvCacheType Parse(string? text) =>
        KvCacheTypeInfo.TryParse(text, out var type) ? type
        : throw new ArgumentException($"--kv-type must be f16, f32 or q8_0, got '{text}'");
}
