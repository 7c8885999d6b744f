using System.Text;
using System.Text.Json;

namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// The streaming parser of gpt-oss's harmony output (<see cref="ToolCallFamily.Harmony"/>). After the generation prompt
/// (<c>&lt;|start|&gt;assistant</c>) the model writes messages, each a header up to <c>&lt;|message|&gt;</c> and a body
/// up to <c>&lt;|end|&gt;</c> (the next message then opens with <c>&lt;|start|&gt;assistant</c>), <c>&lt;|return|&gt;</c>
/// (the answer is done) or <c>&lt;|call|&gt;</c> (a tool call is done):
/// <list type="bullet">
/// <item><c>&lt;|channel|&gt;analysis&lt;|message|&gt;…</c>: chain of thought, returned as reasoning
/// (<see cref="ToolParseEvent.Thinking"/>, the gateway's <c>reasoning_content</c>);</item>
/// <item><c>&lt;|channel|&gt;final&lt;|message|&gt;…</c>, and commentary without a recipient (a preamble the user is
/// meant to see): content;</item>
/// <item>a header with a recipient, <c>&lt;|channel|&gt;commentary to=functions.NAME &lt;|constrain|&gt;json&lt;|message|&gt;{…}</c>
/// (the recipient may also come before the channel, as the template renders past calls): a tool call NAME whose
/// arguments are the body, when it is a JSON object (anything else comes back as content).</item>
/// </list>
/// Body text is returned as it streams, except a tail that may still become a terminator (<c>&lt;|e</c>…), which is held
/// until it is decided. Headers never reach the output. Output that does not start like a header (a model that ignores
/// the format) is content from the first character.
/// </summary>
public sealed class HarmonyParser : IToolCallParser
{
    private const string StartTag = "<|start|>";
    private const string ChannelTag = "<|channel|>";
    private const string MessageTag = "<|message|>";
    private const string ConstrainTag = "<|constrain|>";

    /// <summary>A header longer than this without <c>&lt;|message|&gt;</c> is not a header: it becomes content.</summary>
    private const int MaxHeader = 256;

    // What ends a body: <|start|> too, for a model that opens the next message without closing this one.
    private static readonly string[] Terminators = ["<|end|>", "<|return|>", "<|call|>", StartTag];

    // How a header may begin: after the generation prompt with the channel or (recipient first) " to=", after a
    // finished message with <|start|>.
    private static readonly string[] HeaderOpeners = [ChannelTag, StartTag, " to=", "to="];

    private readonly Func<string> _newId;
    private readonly bool _calls;
    private readonly StringBuilder _buf = new();
    private Mode _mode = Mode.Header;
    private string _recipient = "";
    private int _callCount;

    /// <param name="newId">Makes call ids (default: OpenAI-shaped random ones).</param>
    /// <param name="calls">False when the request allows no calls (no tools, or tool_choice "none"): a call the model
    /// writes anyway comes back as content (its arguments text), never as a tool call.</param>
    public HarmonyParser(Func<string>? newId = null, bool calls = true)
    {
        _newId = newId ?? ToolCallIds.New;
        _calls = calls;
    }

    private enum Mode
    {
        Header,
        Reasoning,
        Content,
        Call,
    }

    public IReadOnlyList<ToolParseEvent> Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var events = new List<ToolParseEvent>();
        _buf.Append(delta);
        while (Step(events, final: false))
        {
        }

        return events;
    }

    public IReadOnlyList<ToolParseEvent> Finish()
    {
        var events = new List<ToolParseEvent>();
        while (Step(events, final: true))
        {
        }

        _buf.Clear();
        return events;
    }

    /// <summary>Decides what it can; true when the mode changed and there may be more to decide.</summary>
    private bool Step(List<ToolParseEvent> events, bool final)
    {
        string s = _buf.ToString();
        if (_mode == Mode.Header)
        {
            int m = s.IndexOf(MessageTag, StringComparison.Ordinal);
            if (m >= 0)
            {
                _buf.Remove(0, m + MessageTag.Length);
                Open(s[..m]);
                return true;
            }

            if (!CouldBeHeader(s))
            {
                _mode = Mode.Content;
                return true;
            }

            // At the end, a header cut off before its body is markup with nothing to show: dropped.
            return false;
        }

        int t = FirstTerminator(s, out string terminator);
        if (t >= 0)
        {
            string body = s[..t];
            // <|start|> belongs to the next header; the other terminators are consumed.
            _buf.Remove(0, t + (terminator == StartTag ? 0 : terminator.Length));
            if (_mode == Mode.Call)
            {
                EmitCall(events, body);
            }
            else
            {
                Emit(events, body);
            }

            _mode = Mode.Header;
            return true;
        }

        if (_mode == Mode.Call)
        {
            if (final)
            {
                // An unterminated call (cut off by max_tokens) that parses is a call, as in the other dialects.
                EmitCall(events, s);
                _buf.Clear();
            }

            return false;
        }

        int keep = final ? 0 : HeldTail(s);
        Emit(events, s[..(s.Length - keep)]);
        _buf.Remove(0, s.Length - keep);
        return false;
    }

    /// <summary>Starts the body of a message with <paramref name="header"/> (the text before <c>&lt;|message|&gt;</c>).</summary>
    private void Open(string header)
    {
        string channel = Word(header, ChannelTag);
        string recipient = Word(header, "to=");
        if (recipient.Length > 0 && recipient != "assistant")
        {
            // functions.NAME is a function the request defined; another recipient (a built-in tool such as browser.search)
            // keeps its full name.
            _recipient = recipient.StartsWith("functions.", StringComparison.Ordinal) ? recipient["functions.".Length..] : recipient;
            _mode = Mode.Call;
            return;
        }

        _mode = channel == "analysis" ? Mode.Reasoning : Mode.Content;
    }

    /// <summary>The word after <paramref name="key"/> in <paramref name="header"/> (up to whitespace or the next tag), or "".</summary>
    private static string Word(string header, string key)
    {
        int i = header.IndexOf(key, StringComparison.Ordinal);
        if (i < 0)
        {
            return "";
        }

        i += key.Length;
        int j = i;
        while (j < header.Length && !char.IsWhiteSpace(header[j]) && header[j] != '<')
        {
            j++;
        }

        return header[i..j];
    }

    private void Emit(List<ToolParseEvent> events, string text)
    {
        if (text.Length > 0)
        {
            events.Add(_mode == Mode.Reasoning ? ToolParseEvent.Thinking(text) : ToolParseEvent.Text(text));
        }
    }

    private void EmitCall(List<ToolParseEvent> events, string body)
    {
        string args = body.Trim();
        if (_calls && IsJsonObject(args))
        {
            events.Add(ToolParseEvent.ToolCall(new ParsedToolCall(_callCount++, _newId(), _recipient, args)));
        }
        else if (body.Length > 0)
        {
            events.Add(ToolParseEvent.Text(body));
        }
    }

    private static bool IsJsonObject(string text)
    {
        if (!text.StartsWith('{'))
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="s"/> is (the start of) a header: it opens like one and is not too long.</summary>
    private static bool CouldBeHeader(string s)
    {
        if (s.Length > MaxHeader)
        {
            return false;
        }

        string t = s.TrimStart('\n', '\r', '\t');
        foreach (string opener in HeaderOpeners)
        {
            if (t.StartsWith(opener, StringComparison.Ordinal) || opener.StartsWith(t, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return t.StartsWith(ConstrainTag, StringComparison.Ordinal);
    }

    private static int FirstTerminator(string s, out string terminator)
    {
        int best = -1;
        terminator = "";
        foreach (string term in Terminators)
        {
            int i = s.IndexOf(term, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best))
            {
                best = i;
                terminator = term;
            }
        }

        return best;
    }

    /// <summary>The length of the longest tail of <paramref name="s"/> that is a proper prefix of a terminator.</summary>
    private static int HeldTail(string s)
    {
        int held = 0;
        foreach (string term in Terminators)
        {
            for (int n = Math.Min(term.Length - 1, s.Length); n > held; n--)
            {
                if (s.AsSpan(s.Length - n).SequenceEqual(term.AsSpan(0, n)))
                {
                    held = n;
                    break;
                }
            }
        }

        return held;
    }
}
