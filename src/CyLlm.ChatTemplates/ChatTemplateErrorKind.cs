namespace CyLlm.ChatTemplates;

/// <summary>Why a chat template failed: lets a server tell a bad template from a bad conversation.</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template source is not valid (for this Jinja subset): raised by <see cref="ChatTemplate.Parse"/>.</summary>
    Syntax,

    /// <summary>Rendering failed on a type or value error (e.g. adding a string to a number, an undefined value used).</summary>
    Render,

    /// <summary>The template called <c>raise_exception(message)</c>, usually because the conversation breaks its rules.</summary>
    RaisedByTemplate,

    /// <summary>A safety limit (steps, output size, nesting) was exceeded.</summary>
    LimitExceeded,
}
