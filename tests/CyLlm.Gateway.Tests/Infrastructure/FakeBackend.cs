using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>
/// A controllable backend for queue, timeout and disconnect tests: each generation first waits for
/// <see cref="Gate"/> (when closed), then emits "x" tokens until max_tokens — or, with
/// <see cref="UntilCancelled"/>, until the request is cancelled.
/// </summary>
public sealed class FakeBackend : IInferenceBackend
{
    private readonly SerialGate _gate;
    private int _started;
    private int _cancelled;

    public FakeBackend()
    {
        _gate = new SerialGate(Generate);
    }

    /// <summary>Most requests waiting for the one generation slot (more are a 503); the engine's queue bound.</summary>
    public int MaxWaiting
    {
        get => _gate.MaxWaiting;
        set => _gate.MaxWaiting = value;
    }

    public int Waiting => _gate.Waiting;

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken) => _gate.Start(request, cancellationToken);

    /// <summary>Open (set) by default; Reset() makes every generation wait for Set().</summary>
    public ManualResetEventSlim Gate { get; } = new(true);

    /// <summary>Set when a generation starts (tests wait on it instead of sleeping).</summary>
    public SemaphoreSlim StartedSignal { get; } = new(0);

    /// <summary>Released when a generation observes its cancellation.</summary>
    public SemaphoreSlim CancelledSignal { get; } = new(0);

    public bool UntilCancelled { get; set; }

    /// <summary>
    /// When set, each generation answers this text instead of "x"s, three characters per token, and stops
    /// (a test seam for shaping replies the random-weights model would never write, e.g. tool calls).
    /// </summary>
    public string? Reply { get; set; }

    /// <summary>How a scripted <see cref="Reply"/> ends (Stop by default; Length for a reply cut off by max_tokens).</summary>
    public FinishReason ReplyFinish { get; set; } = FinishReason.Stop;

    /// <summary>When set, the scripted reply chosen from the rendered messages (a tool loop: a call first, then an
    /// answer once a tool result is in); takes precedence over <see cref="Reply"/>.</summary>
    public Func<IReadOnlyList<ChatMessage>?, string?>? ReplyFor { get; set; }

    /// <summary>The last request <see cref="Generate"/> received (property tests compare it with what was sent).</summary>
    public GenerationRequest? LastRequest { get; private set; }

    /// <summary>The last message list <see cref="RenderChat"/> received.</summary>
    public IReadOnlyList<ChatMessage>? LastMessages { get; private set; }

    public int Started => Volatile.Read(ref _started);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public string ModelId => "fake";

    public int ContextTokens => 1024;

    public int VocabSize => 128;

    public int[] Encode(string text, bool? addBos = null)
    {
        var ids = new int[text.Length + 1];
        ids[0] = 1;
        for (int i = 0; i < text.Length; i++)
        {
            ids[i + 1] = text[i] % 128;
        }

        return ids;
    }

    public string Decode(IReadOnlyList<int> ids) => new(ids.Select(i => (char)i).ToArray());

    public byte[] PieceBytes(int id) => [(byte)id];

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => string.Join("\n", (LastMessages = messages.ToArray()).Select(m => m.Role + ": " + m.Content));

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => Encode(RenderChat(messages));

    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        LastRequest = request;
        Interlocked.Increment(ref _started);
        StartedSignal.Release();
        var prompt = request.PromptTokens!.ToArray();
        try
        {
            Gate.Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return Cancel(prompt, []);
        }

        if ((ReplyFor is { } choose ? choose(LastMessages) : Reply) is { } reply)
        {
            var replyIds = new List<int>();
            for (int i = 0; i < reply.Length; i += 3)
            {
                string piece = reply.Substring(i, Math.Min(3, reply.Length - i));
                replyIds.Add(piece[0] % 128);
                onToken?.Invoke(new GeneratedToken(piece[0] % 128, piece, new SampleResult(piece[0] % 128, -0.5f, null)));
            }

            return new GenerationResult(prompt, replyIds.ToArray(), reply, ReplyFinish, [], 0, 0, 0);
        }

        var ids = new List<int>();
        while (UntilCancelled || ids.Count < request.Sampling.MaxTokens)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Cancel(prompt, ids);
            }

            ids.Add('x');
            onToken?.Invoke(new GeneratedToken('x', "x", new SampleResult('x', -0.5f, null)));
            // Paces the endless mode so a stream produces a few hundred events a second, not millions.
            cancellationToken.WaitHandle.WaitOne(UntilCancelled ? 2 : 0);
        }

        return new GenerationResult(prompt, ids.ToArray(), new string('x', ids.Count), FinishReason.Length, [], 0, 0, 0);
    }

    private GenerationResult Cancel(int[] prompt, List<int> ids)
    {
        Interlocked.Increment(ref _cancelled);
        CancelledSignal.Release();
        return new GenerationResult(prompt, ids.ToArray(), "", FinishReason.Cancelled, [], 0, 0, 0);
    }

    public void Dispose()
    {
    }
}
