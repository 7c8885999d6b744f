namespace CyLlm.Training.Data;

/// <summary>Why a dataset row (or the file) was rejected.</summary>
public enum DatasetErrorKind
{
    /// <summary>The row is not valid JSON (or a CSV cell that must hold JSON does not).</summary>
    InvalidJson,

    /// <summary>The row's bytes are not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The CSV record is malformed (stray quote, wrong number of fields, unterminated quote).</summary>
    InvalidCsv,

    /// <summary>A required field is absent (or null).</summary>
    MissingField,

    /// <summary>A field has the wrong JSON type (e.g. content is a number, messages is not an array).</summary>
    WrongType,

    /// <summary>A message role (or ShareGPT <c>from</c>) is not one the schema allows.</summary>
    UnknownRole,

    /// <summary>A message content, text or output is empty or only whitespace.</summary>
    EmptyContent,

    /// <summary>A conversation has no assistant message with weight 1.</summary>
    NoAssistantMessage,

    /// <summary>A conversation's last message is not the assistant's.</summary>
    NotEndingWithAssistant,

    /// <summary>An assistant message's weight is not 0 or 1, or a weight is set on another role.</summary>
    InvalidWeight,

    /// <summary>The row follows another schema than the file's (detected from its first valid row).</summary>
    SchemaMismatch,

    /// <summary>The row matches no known schema (no messages, conversations, instruction/output or text field).</summary>
    UnknownSchema,

    /// <summary>The model's chat template refused the conversation (e.g. roles that do not alternate).</summary>
    TemplateError,

    /// <summary>The row is larger than the reader accepts (bytes, before tokenization).</summary>
    RowTooLarge,

    /// <summary>The file cannot be read past this point (JSON array syntax error, unsupported Parquet layout).</summary>
    Unreadable,

    /// <summary>A <c>tools</c> entry, an assistant's <c>tool_calls</c> or a tool message's <c>tool_call_id</c> is malformed
    /// (no function name, arguments that are not a JSON object, an id no earlier call has, tool_calls on another role).</summary>
    InvalidToolCall,
}
