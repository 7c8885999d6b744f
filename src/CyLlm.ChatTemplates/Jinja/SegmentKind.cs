namespace CyLlm.ChatTemplates.Jinja;

internal enum SegmentKind
{
    Text,
    Output,
    Statement,
}
