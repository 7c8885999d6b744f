namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// Splits model output into content and tool calls, incrementally: it is fed the text deltas as they are generated
/// and returns what is decided so far. Text that could still become a call (e.g. "&lt;tool_" before "call&gt;") is
/// held back, so no part of a call ever reaches content; text that turns out not to be a call (bad JSON, a
/// marker without a call) comes back as content. Instances keep per-generation state: one per generation.
/// </summary>
public interface IToolCallParser
{
    /// <summary>Feeds the next piece of output; returns the content and calls it decided, in order.</summary>
    IReadOnlyList<ToolParseEvent> Push(string delta);

    /// <summary>Ends the output: everything still held is decided (an unterminated call that parses is a call).</summary>
    IReadOnlyList<ToolParseEvent> Finish();
}
