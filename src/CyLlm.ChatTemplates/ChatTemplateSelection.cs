namespace CyLlm.ChatTemplates;

/// <summary>
/// The template chosen for a model. <see cref="Name"/> is <see cref="ChatTemplateSelector.ModelTemplateName"/>
/// for the model's own template, else the built-in fallback's name; <see cref="FallbackReason"/> says why the
/// model's own template was not used (absent, or not parseable: then it holds the parse error).
/// </summary>
public sealed record ChatTemplateSelection(ChatTemplate Template, string Name, string? FallbackReason)
{
    public bool IsModelTemplate => FallbackReason is null;
}
