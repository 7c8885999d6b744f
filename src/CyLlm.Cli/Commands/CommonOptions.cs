using System.CommandLine;

namespace CyLlm.Cli.Commands;

/// <summary>Options shared by the model commands.</summary>
internal static class CommonOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "model file: GGUF, llama2.c .bin, a Hugging Face folder, or hf:OWNER/REPO[:FILE_OR_QUANT] (pulled into the Hub cache when missing)",
        Required = true,
    };

    public static Option<string?> Tokenizer() => new("--tokenizer")
    {
        Description = "tokenizer file when the model has none inside (llama2.c tokenizer.bin, tokenizer.json)",
    };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "worker threads (0 = one per core)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<int> Context() => new("--context", "-c")
    {
        Description = "context length in tokens (0 = the model's, capped at 4096)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string?> ChatTemplate() => new("--chat-template")
    {
        Description = "chat template instead of the model's own: a built-in name (chatml, llama2, llama3, mistral, qwen2, gemma, zephyr, smollm2, phi3.5) or a Jinja file",
    };
}
