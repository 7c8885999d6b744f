namespace CyLlm.ChatTemplates;

/// <summary>Chooses the template for a model: its own when it has one, else a named built-in fallback.</summary>
public static class ChatTemplateSelector
{
    /// <summary>The fallback when a model has no template and no override is named.</summary>
    public const string DefaultFallback = "chatml";

    /// <summary>
    /// Returns the template to use and its name ("model" for the model's own). <paramref name="overrideName"/>
    /// names a built-in template to use instead of the model's (e.g. from configuration).
    /// </summary>
    public static (ChatTemplate Template, string Name) Resolve(string? modelTemplate, string? overrideName = null)
    {
        if (overrideName is not null)
        {
            if (!BuiltInTemplates.All.TryGetValue(overrideName, out var named))
            {
                throw new ChatTemplateException($"unknown chat template '{overrideName}' (built-in: {string.Join(", ", BuiltInTemplates.All.Keys)})");
            }

            return (ChatTemplate.Parse(named), overrideName.ToLowerInvariant());
        }

        if (!string.IsNullOrWhiteSpace(modelTemplate))
        {
            return (ChatTemplate.Parse(modelTemplate), "model");
        }

        return (ChatTemplate.Parse(BuiltInTemplates.ChatML), DefaultFallback);
    }
}
