using System.Collections.Concurrent;
using System.Diagnostics;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// The serving engine's output side, off the loop thread (vLLM v1's output processor): for each token the loop
/// accepted, it runs phase 2 of the acceptance rule (incremental detokenizing, stop strings, the held-back UTF-8 tail),
/// writes the token to the request's channel, records TTFT and inter-token latency, and completes the request with its
/// result. The loop only samples and applies phase 1 (end tokens, max_tokens, context), so the next step is not held
/// up by text work. When a stop string completes here, the request is answered at once and
/// <see cref="SequenceState.StopRequested"/> asks the loop to drop the sequence (it may compute one more token, which
/// is discarded). One thread for the whole engine, fed once per step, in order.
/// </summary>
internal sealed class OutputProcessor : IDisposable
{
    private readonly ConcurrentQueue<OutputEvent> _events = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ServingMetrics _metrics;
    private readonly Action _wakeLoop;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public OutputProcessor(ServingMetrics metrics, Action wakeLoop)
    {
        _metrics = metrics;
        _wakeLoop = wakeLoop;
        _thread = new Thread(Run) { IsBackground = true, Name = "cyllm-serving-output" };
        _thread.Start();
    }

    /// <summary>Stopwatch ticks spent processing events so far (the output side's share of the engine's work).</summary>
    public long BusyTicks => Volatile.Read(ref _busyTicks);

    private long _busyTicks;

    public void Token(SequenceState s, SampleResult sample, long ticks) =>
        _events.Enqueue(new OutputEvent(s, OutputEventKind.Token, sample, default, null, ticks));

    public void Finish(SequenceState s, FinishReason reason) =>
        _events.Enqueue(new OutputEvent(s, OutputEventKind.Finish, default, reason, null, Stopwatch.GetTimestamp()));

    public void Fail(SequenceState s, Exception error) =>
        _events.Enqueue(new OutputEvent(s, OutputEventKind.Fail, default, default, error, Stopwatch.GetTimestamp()));

    /// <summary>Hands the events queued so far to the output thread (once per loop iteration; nothing when none are).</summary>
    public void Publish()
    {
        if (!_events.IsEmpty)
        {
            _signal.Release();
        }
    }

    private void Run()
    {
        while (true)
        {
            _signal.Wait();
            long t0 = Stopwatch.GetTimestamp();
            while (_events.TryDequeue(out var e))
            {
                Process(e);
            }

            Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - t0);
            if (_stopping && _events.IsEmpty)
            {
                return;
            }
        }
    }

    private void Process(in OutputEvent e)
    {
        var s = e.Seq;
        if (s.OutputDone)
        {
            return; // answered already (a stop string): tokens the loop computed meanwhile are discarded
        }

        try
        {
            switch (e.Kind)
            {
                case OutputEventKind.Token:
                    Token(s, e);
                    break;
                case OutputEventKind.Finish:
                    if (s.Acceptor.Flush(e.Reason) is { } tail)
                    {
                        s.Output.Writer.TryWrite(tail);
                    }

                    Complete(s, e.Reason);
                    break;
                default:
                    s.OutputDone = true;
                    s.Output.Writer.TryComplete(e.Error);
                    s.Completion.TrySetException(e.Error!);
                    break;
            }
        }
        catch (Exception ex)
        {
            // A failure in one request's text (a tokenizer bug, say) fails that request, never the thread.
            s.OutputDone = true;
            s.StopRequested = true;
            s.Output.Writer.TryComplete(ex);
            s.Completion.TrySetException(ex);
            _wakeLoop();
        }
    }

    private void Token(SequenceState s, in OutputEvent e)
    {
        var sample = e.Sample;
        if (s.FirstTokenTicks == 0)
        {
            s.FirstTokenTicks = e.Ticks;
            double ttft = Stopwatch.GetElapsedTime(s.EnqueuedTicks, e.Ticks).TotalSeconds;
            _metrics.Ttft.Record(ttft);
            _metrics.TtftWindow.Add(ttft);
            _metrics.PromptTokens.Add(s.PromptLength);
        }
        else
        {
            double itl = Stopwatch.GetElapsedTime(s.LastTokenTicks, e.Ticks).TotalSeconds;
            _metrics.InterToken.Record(itl);
            _metrics.InterTokenWindow.Add(itl);
        }

        s.LastTokenTicks = e.Ticks;
        string delta = s.Acceptor.AcceptText(sample.TokenId);
        s.OutputTokens.Add(sample.TokenId);
        s.Samples.Add(sample);
        _metrics.GenerationTokens.Add(1);
        s.Output.Writer.TryWrite(new GeneratedToken(sample.TokenId, delta, sample));
        if (s.Acceptor.Stopped)
        {
            Complete(s, FinishReason.Stop);
            s.StopRequested = true;
            _wakeLoop();
        }
    }

    private void Complete(SequenceState s, FinishReason reason)
    {
        s.OutputDone = true;
        double e2e = Stopwatch.GetElapsedTime(s.EnqueuedTicks).TotalSeconds;
        _metrics.EndToEnd.Record(e2e);
        _metrics.EndToEndWindow.Add(e2e);
        bool started = s.FirstTokenTicks != 0;
        double promptMs = started ? Stopwatch.GetElapsedTime(s.ScheduledTicks, s.FirstTokenTicks).TotalMilliseconds : 0;
        double genMs = started ? Stopwatch.GetElapsedTime(s.FirstTokenTicks).TotalMilliseconds : 0;
        double ttftMs = started ? Stopwatch.GetElapsedTime(s.EnqueuedTicks, s.FirstTokenTicks).TotalMilliseconds : 0;
        var result = new GenerationResult(
            [.. s.Request.PromptTokens], [.. s.OutputTokens], s.Acceptor.Text.ToString(), reason, s.Samples, promptMs, genMs, ttftMs)
        {
            CachedTokens = s.CachedTokens,
            PromptLogprobs = s.PromptLogprobs,
        };
        s.Output.Writer.TryComplete();
        s.Completion.TrySetResult(result);
    }

    /// <summary>Processes what is queued, then stops the thread.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _signal.Release();
        _thread.Join();
        _signal.Dispose();
    }
}
