using CyLlm.ChatTemplates;

namespace CyLlm.Training.Data.Schemas;

/// <summary>One message of a training conversation: role system/user/assistant/tool; <paramref name="Train"/> says
/// whether an assistant message's tokens are loss targets (OpenAI's weight 1, the default).</summary>
internal sealed record TrainMessage(string Role, string Content, bool Train)
{
    /// <summary>The function calls an assistant turn makes (OpenAI fine-tuning's <c>tool_calls</c>); null for none.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>For a <c>tool</c> turn: the id of the earlier call whose result <see cref="Content"/> is.</summary>
    public string? ToolCallId { get; init; }
}
