namespace CyLlm.Engine.Generation;

/// <summary>
/// Finds stop strings in streamed text and holds back any tail that could still become one, so a client
/// never receives part of a stop string. Feed it text deltas; it returns what is safe to emit.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private readonly int _maxLen;
    private readonly System.Text.StringBuilder _pending = new();

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops;
        foreach (var s in stops)
        {
            _maxLen = Math.Max(_maxLen, s.Length);
        }
    }

    public bool Stopped { get; private set; }

    /// <summary>Adds text; returns the part that can be emitted now. After a match, returns the text before
    /// the stop string and sets <see cref="Stopped"/>.</summary>
    public string Push(string delta)
    {
        if (Stopped)
        {
            return "";
        }

        if (_stops.Count == 0)
        {
            return delta;
        }

        _pending.Append(delta);
        string text = _pending.ToString();
        int first = -1;
        foreach (var s in _stops)
        {
            if (s.Length == 0)
            {
                continue;
            }

            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (first < 0 || i < first))
            {
                first = i;
            }
        }

        if (first >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return text[..first];
        }

        // Keep the longest tail that is a prefix of some stop string.
        int keep = 0;
        for (int len = Math.Min(_maxLen - 1, text.Length); len > 0; len--)
        {
            var tail = text.AsSpan(text.Length - len);
            foreach (var s in _stops)
            {
                if (s.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    keep = len;
                    break;
                }
            }

            if (keep > 0)
            {
                break;
            }
        }

        string emit = text[..^keep];
        _pending.Clear();
        _pending.Append(text, text.Length - keep, keep);
        return emit;
    }

    /// <summary>Releases held-back text at the end of generation (no stop string completed).</summary>
    public string Flush()
    {
        string s = _pending.ToString();
        _pending.Clear();
        return Stopped ? "" : s;
    }
}
