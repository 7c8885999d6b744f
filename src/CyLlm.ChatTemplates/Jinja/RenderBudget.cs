namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Bounds the work of one render so a hostile template fails fast: evaluation steps (each statement,
/// expression node, loop iteration and visited value counts one), characters of any string built, items of
/// any list built, and nesting of values and calls.
/// </summary>
internal sealed class RenderBudget(long maxSteps, int maxChars)
{
    /// <summary>Items in one list or dict built by a template.</summary>
    public const int MaxItems = 1_000_000;

    /// <summary>Nesting of macro calls, expression evaluation and values (JSON, repr, equality).</summary>
    public const int MaxDepth = 200;

    private long _steps;

    public long MaxSteps { get; } = maxSteps;

    /// <summary>Characters in the output and in any single string.</summary>
    public int MaxChars { get; } = maxChars;

    public void Step()
    {
        if (++_steps > MaxSteps)
        {
            throw new TemplateError($"the template does too much work (over {MaxSteps} evaluation steps)", ChatTemplateErrorKind.LimitExceeded);
        }
    }

    public void Steps(long n)
    {
        _steps += n;
        if (_steps > MaxSteps)
        {
            throw new TemplateError($"the template does too much work (over {MaxSteps} evaluation steps)", ChatTemplateErrorKind.LimitExceeded);
        }
    }

    public void CheckLength(long chars)
    {
        if (chars > MaxChars)
        {
            throw new TemplateError($"a string of {chars} characters exceeds the limit of {MaxChars}", ChatTemplateErrorKind.LimitExceeded);
        }
    }

    public static void CheckItems(long count)
    {
        if (count > MaxItems)
        {
            throw new TemplateError($"a list of {count} items exceeds the limit of {MaxItems}", ChatTemplateErrorKind.LimitExceeded);
        }
    }

    public static void CheckDepth(int depth)
    {
        if (depth > MaxDepth || ((depth & 15) == 15 && !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack()))
        {
            throw new TemplateError($"nesting deeper than {MaxDepth} levels", ChatTemplateErrorKind.LimitExceeded);
        }
    }
}
