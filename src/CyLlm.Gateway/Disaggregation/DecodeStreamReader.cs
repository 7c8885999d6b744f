using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Json;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The router's side of one decode stream: parses the worker's NDJSON lines (<see cref="DecodeStreamLine"/>), hands
/// each token to <c>onToken</c> as its line arrives, and builds the <see cref="GenerationResult"/> from the final line
/// (the samples, with logprobs when asked, come from the token lines). Timings are the router's own, in milliseconds
/// from the moment it was created: prompt = time to the first token, generation = first token to the final line.
/// Not thread-safe: one reader per request.
/// </summary>
public sealed class DecodeStreamReader(int[] prompt, Action<GeneratedToken>? onToken)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly List<int> _ids = [];
    private readonly List<SampleResult> _samples = [];
    private readonly StringBuilder _text = new();
    private long _firstToken;

    /// <summary>Tokens received so far (the id −1 text piece not counted).</summary>
    public int Tokens => _ids.Count;

    /// <summary>The whole result once the final line arrived; null before.</summary>
    public GenerationResult? Result { get; private set; }

    /// <summary>Takes one line; returns the worker's error when the line is an error line, else null. Throws
    /// <see cref="JsonException"/> for a line that is not a stream line or that follows the final line.</summary>
    public ErrorDetail? Accept(string line)
    {
        if (line.Length == 0)
        {
            return null;
        }

        if (Result is not null)
        {
            throw new JsonException("a line after the final line");
        }

        var msg = JsonSerializer.Deserialize<DecodeStreamLine>(line, GatewayJson.Options) ?? throw new JsonException("a null line");
        if (msg.Error is { } error)
        {
            return error;
        }

        if (msg.FinishReason is { } reason)
        {
            Result = Finish(msg.TokenIds ?? [.. _ids], msg.Text ?? _text.ToString(), Parse(reason), msg.CachedTokens ?? 0);
            return null;
        }

        int id = msg.TokenId ?? throw new JsonException("a line with neither token_id, finish_reason nor error");
        var sample = DecodeStreamWriter.SampleOf(msg);
        if (id >= 0)
        {
            if (_firstToken == 0)
            {
                _firstToken = Stopwatch.GetTimestamp();
            }

            _ids.Add(id);
            _samples.Add(sample);
        }

        string text = msg.Text ?? "";
        _text.Append(text);
        onToken?.Invoke(new GeneratedToken(id, text, sample));
        return null;
    }

    /// <summary>A worker's whole (non-streaming) answer: its tokens go to <c>onToken</c> now, without logprobs.</summary>
    public GenerationResult Replay(DecodeWorkResponse whole)
    {
        for (int i = 0; i < whole.Pieces.Length && i < whole.PieceIds.Length; i++)
        {
            Accept(JsonSerializer.Serialize(new DecodeStreamLine { TokenId = whole.PieceIds[i], Text = whole.Pieces[i] }, GatewayJson.Options));
        }

        return Finish(whole.TokenIds, whole.Text, Parse(whole.FinishReason), 0);
    }

    /// <summary>The result of a request the client cancelled: what arrived so far, finish reason cancelled.</summary>
    public GenerationResult Cancelled() => Finish([.. _ids], _text.ToString(), FinishReason.Cancelled, 0);

    private static FinishReason Parse(string reason) =>
        Enum.TryParse<FinishReason>(reason, ignoreCase: true, out var r) ? r : FinishReason.Stop;

    private GenerationResult Finish(int[] tokenIds, string text, FinishReason reason, int cached)
    {
        long end = Stopwatch.GetTimestamp();
        double ttft = _firstToken == 0 ? 0 : Stopwatch.GetElapsedTime(_start, _firstToken).TotalMilliseconds;
        double gen = _firstToken == 0 ? 0 : Stopwatch.GetElapsedTime(_firstToken, end).TotalMilliseconds;
        return new GenerationResult(prompt, tokenIds, text, reason, _samples, ttft, gen, ttft) { CachedTokens = cached };
    }
}
