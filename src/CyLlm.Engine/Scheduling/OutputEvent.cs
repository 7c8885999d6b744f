using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

/// <summary>One message from the loop thread to the <see cref="OutputProcessor"/>; <see cref="Ticks"/> is the
/// Stopwatch timestamp of the step that produced it (token latencies are measured at the loop, not at the consumer).</summary>
internal readonly record struct OutputEvent(SequenceState Seq, OutputEventKind Kind, SampleResult Sample, FinishReason Reason, Exception? Error, long Ticks);
