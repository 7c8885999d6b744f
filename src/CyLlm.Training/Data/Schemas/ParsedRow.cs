namespace CyLlm.Training.Data.Schemas;

/// <summary>A row that passed its schema's checks: a conversation (chat, ShareGPT, instruction) or plain text.</summary>
internal sealed record ParsedRow(DatasetSchema Schema, IReadOnlyList<TrainMessage>? Messages, string? Text);
