using CyLlm.ChatTemplates;

namespace CyLlm.Cli.Commands;

/// <summary>
/// <c>--chat-template</c>: a built-in template's name or a Jinja file (llama-server's <c>--chat-template</c> and
/// <c>--chat-template-file</c> in one flag, as vLLM has it), turned into what <c>EngineOptions.ChatTemplate</c> takes.
/// A file that does not parse is one line naming the flag, the line and the column.
/// </summary>
internal static class ChatTemplateOption
{
    /// <summary>Largest template file read (real templates are under 20 KB).</summary>
    private const long MaxFileBytes = 1 << 20;

    /// <summary>Null (the model's own), the built-in name, or the file's Jinja source.</summary>
    public static string? Resolve(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (File.Exists(value))
        {
            if (new FileInfo(value).Length > MaxFileBytes)
            {
                throw new ArgumentException($"--chat-template: {value} is larger than {MaxFileBytes} bytes");
            }

            string source = File.ReadAllText(value);
            try
            {
                _ = ChatTemplateSelector.Override(source);
            }
            catch (ChatTemplateException e)
            {
                throw new ArgumentException($"--chat-template: {value}: {e.Message}");
            }

            return source;
        }

        if (BuiltInTemplates.TryGet(value.Trim(), out _))
        {
            return value.Trim();
        }

        throw new ArgumentException($"--chat-template: '{value}' is neither a file nor a built-in template (known: {string.Join(", ", BuiltInTemplates.Names)})");
    }
}
