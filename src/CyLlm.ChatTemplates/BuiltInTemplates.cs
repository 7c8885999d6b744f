using System.Collections.Frozen;
using System.Reflection;

namespace CyLlm.ChatTemplates;

/// <summary>
/// Named fallback templates for models that carry none. Each is the Jinja source its model publishes in
/// tokenizer_config.json (embedded from Templates/*.jinja): chatml (teknium/OpenHermes-2.5-Mistral-7B),
/// llama2 (meta-llama/Llama-2-7b-chat-hf), llama3 (meta-llama/Meta-Llama-3-8B-Instruct), mistral
/// (mistralai/Mistral-7B-Instruct-v0.2, Mixtral-8x7B-Instruct-v0.1), zephyr (HuggingFaceH4/zephyr-7b-beta,
/// also TinyLlama-1.1B-Chat-v1.0), gemma (google/gemma-2-2b-it), qwen2 (Qwen/Qwen2.5-7B-Instruct: ChatML with a
/// default system prompt and a tools section), smollm2 (HuggingFaceTB/SmolLM2-1.7B-Instruct) and phi3.5
/// (microsoft/Phi-3.5-mini-instruct, the Phi-3 format with a system turn).
/// </summary>
public static class BuiltInTemplates
{
    /// <summary>The names, in the order above; lookups ignore case.</summary>
    public static IReadOnlyList<string> Names { get; } = ["chatml", "llama2", "llama3", "mistral", "zephyr", "gemma", "qwen2", "smollm2", "phi3.5"];

    /// <summary>Every built-in template source by name (case-insensitive).</summary>
    public static IReadOnlyDictionary<string, string> All { get; } = Load();

    public static string ChatML => All["chatml"];

    public static string Llama2 => All["llama2"];

    public static string Llama3 => All["llama3"];

    public static string Mistral => All["mistral"];

    public static string Zephyr => All["zephyr"];

    public static string Gemma => All["gemma"];

    public static string Qwen2 => All["qwen2"];

    public static string SmolLM2 => All["smollm2"];

    public static string Phi35 => All["phi3.5"];

    /// <summary>The source of the built-in template <paramref name="name"/>; false when there is none.</summary>
    public static bool TryGet(string name, out string source)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.TryGetValue(name.Trim(), out source!);
    }

    private static FrozenDictionary<string, string> Load()
    {
        var asm = typeof(BuiltInTemplates).Assembly;
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Names)
        {
            d[name] = Read(asm, name);
        }

        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static string Read(Assembly asm, string name)
    {
        string resource = $"CyLlm.ChatTemplates.Templates.{name}.jinja";
        using var stream = asm.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded template {resource} is missing from the build");
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        return reader.ReadToEnd();
    }
}
