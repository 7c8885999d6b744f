namespace CyLlm.Training.Data.Schemas;

/// <summary>One message of a training conversation: role system/user/assistant; <paramref name="Train"/> says
/// whether an assistant message's tokens are loss targets (OpenAI's weight 1, the default).</summary>
internal sealed record TrainMessage(string Role, string Content, bool Train);
