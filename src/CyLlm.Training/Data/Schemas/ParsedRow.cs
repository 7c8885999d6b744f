using CyLlm.ChatTemplates;

namespace CyLlm.Training.Data.Schemas;

/// <summary>A row that passed its schema's checks: a conversation (chat, ShareGPT, instruction) or plain text.
/// <paramref name="Tools"/> are the functions an OpenAI chat row offers the model (its <c>tools</c> field), rendered
/// by the chat template as they are when serving.</summary>
internal sealed record ParsedRow(DatasetSchema Schema, IReadOnlyList<TrainMessage>? Messages, string? Text, IReadOnlyList<ChatTool>? Tools = null);
