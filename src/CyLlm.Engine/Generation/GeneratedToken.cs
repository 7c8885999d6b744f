using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Generation;

/// <summary>One generated token as streamed: its id, the text it completes (may be empty while a UTF-8
/// character or a possible stop string is pending), and its logprobs when asked.</summary>
public readonly record struct GeneratedToken(int TokenId, string TextDelta, SampleResult Sample);
