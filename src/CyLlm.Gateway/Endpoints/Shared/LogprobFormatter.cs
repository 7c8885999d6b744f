using System.Text;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Endpoints.Chat;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Renders the engine's <see cref="SampleResult"/> logprobs as OpenAI's token/bytes/logprob entries.</summary>
public sealed class LogprobFormatter(IInferenceBackend backend)
{
    /// <summary>The token's text; a piece that is only part of a UTF-8 character renders with U+FFFD, and its
    /// exact bytes are in the "bytes" field.</summary>
    public string TokenText(int id) => Encoding.UTF8.GetString(backend.PieceBytes(id));

    public int[] TokenBytes(int id)
    {
        byte[] b = backend.PieceBytes(id);
        var ints = new int[b.Length];
        for (int i = 0; i < b.Length; i++)
        {
            ints[i] = b[i];
        }

        return ints;
    }

    /// <summary>JSON has no infinities: a banned token (log 0) is reported as -9999, as OpenAI does.</summary>
    public static float Finite(float lp) => float.IsFinite(lp) ? lp : -9999f;

    public ChatTokenLogprob Chat(SampleResult s)
    {
        var tops = s.TopLogprobs ?? [];
        var top = new ChatTopLogprob[tops.Length];
        for (int i = 0; i < tops.Length; i++)
        {
            top[i] = new ChatTopLogprob(TokenText(tops[i].TokenId), Finite(tops[i].Logprob), TokenBytes(tops[i].TokenId));
        }

        return new ChatTokenLogprob(TokenText(s.TokenId), Finite(s.Logprob), TokenBytes(s.TokenId), top);
    }

    /// <summary>One position's alternatives for text completions: token text → logprob.</summary>
    public Dictionary<string, float> CompletionTop(SampleResult s)
    {
        var d = new Dictionary<string, float>();
        foreach (var t in s.TopLogprobs ?? [])
        {
            d.TryAdd(TokenText(t.TokenId), Finite(t.Logprob));
        }

        return d;
    }
}
