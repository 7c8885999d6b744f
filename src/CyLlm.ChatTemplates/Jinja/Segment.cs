namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A top-level piece of a template: literal text, an output {{ }} or a statement {% %}.</summary>
internal sealed record Segment(SegmentKind Kind, string Text, List<Token> Tokens, int Line);
